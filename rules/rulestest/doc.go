// Package rulestest builds the field registry and event type table that
// the tests of package rules compile against, so that they depend neither
// on package replay (which provides the product registry) nor on its state.
// The registry is built from a committed copy of the libsinsp field list
// (sinsp-fields.tsv, from ../shared/reference) plus the container plugin's
// fields, so the tests run in a clone without ../shared; its extractors
// return no values. It is a test fixture, not a product registry.
package rulestest
