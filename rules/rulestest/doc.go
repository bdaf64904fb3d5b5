// Package rulestest gives the tests of package rules the registry and
// event type table they compile against: replay's field registry (the
// product's fields, in the repository, so the tests run in a clone without
// ../shared) and the scap event types. NewRegistry builds a registry from a
// libsinsp field list such as ../shared/reference/sinsp-fields.tsv, whose
// extractors return no values, for tests that need every libsinsp field.
package rulestest
