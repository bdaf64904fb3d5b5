// Package redact removes secrets from captures: environment variable
// values by name, patterns in command-line arguments and I/O buffers, in
// events and in the header's process list, and replaces user names, host
// names and the private parts of paths by keyed pseudonyms, the same
// everywhere in the copy, as docs/FORMAT.md ("Redaction", "Pseudonyms")
// specifies. The recorder (record --redact-env) and retrace redact share
// it.
package redact
