// Package rulestest builds the field registry and event type table that
// the tests of package rules compile against, so that they depend neither
// on package replay (which provides the product registry) nor on its state.
// The registry is built from the libsinsp field list in
// ../shared/reference/sinsp-fields.tsv (tests skip when it is absent) plus
// the container plugin's fields; its extractors return no values. It is a
// test fixture, not a product registry.
package rulestest
