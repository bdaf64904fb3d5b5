// Package rules loads rule files written in Falco's rule language: YAML
// documents of lists, macros and rules, with Falco's append and override
// semantics, exceptions, engine and plugin version requirements, and the
// order in which several files and directories are read. Every diagnostic
// names the file, line and column, the item and the cause. The loaded rules
// are compiled through package engine into an engine ruleset.
package rules
