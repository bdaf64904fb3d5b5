// Package redact removes secrets from captures: environment variable
// values by name, patterns in command-line arguments and I/O buffers, in
// events and in the header's process list, as docs/FORMAT.md
// ("Redaction") specifies. The recorder (record --redact-env) and retrace
// redact share it.
package redact
