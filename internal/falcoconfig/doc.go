// Package falcoconfig reads the parts of a Falco configuration file
// (falco.yaml) that matter when replaying captures offline: the rules files,
// the minimum priority, rule matching, the text and JSON output options and
// the output channels (stdout, file, program and HTTP). It applies Falco's
// -o key=value overrides with Falco's key syntax first. Keys that only
// configure a live Falco (drivers, plugins, the web server, metrics, ...) and
// keys it does not know give one [Warning] each; malformed YAML and values of
// the wrong type are an [*Error] naming the file and line.
package falcoconfig
