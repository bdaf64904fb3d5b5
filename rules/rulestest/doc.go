// Package rulestest builds the field registry and event type table that
// the tests of package rules and of the rules commands compile against,
// until package replay provides the real registry. The registry is built
// from the libsinsp field list in ../shared/reference/sinsp-fields.tsv
// plus the container plugin's fields; its extractors return no values. It
// is a test fixture, not a product registry.
package rulestest
