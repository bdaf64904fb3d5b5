// Package rules loads rule files written in Falco's rule language: YAML
// documents of lists, macros and rules, with Falco's append and override
// semantics, exceptions, engine and plugin version requirements, and the
// order in which several files and directories are read. Every diagnostic
// names the file, line and column, the item and the cause, with a caret
// snippet; errors ([*Error], collected in a [*LoadError]) are kept apart
// from warnings ([Diagnostic]). The loaded rules are compiled through
// package engine into an engine ruleset ([Set.Ruleset]).
//
// Loading follows Falco's two stages. Reading collects the items of every
// file in order: a later definition of a name replaces the earlier one in
// place (the item keeps its position), `append: true` or
// `override: {key: append}` extends it and `override: {key: replace}`
// replaces single keys. Compiling then expands, for each list, the items
// naming a list defined before it; substitutes lists into every macro and
// rule condition as text; parses the conditions with package engine;
// expands macros, a macro seeing only the macros defined before its latest
// definition or append, a rule seeing all of them; adds exceptions to the
// condition text exactly as Falco writes them; and compiles conditions and
// outputs against the field registry of [Options].
//
// Condition text remembers where each byte comes from (which YAML scalar,
// which offset, through appends, list substitution and generated exception
// text), so a problem the engine finds at an offset is reported at its line
// and column in the file, inside plain, quoted and block scalars.
package rules
