// Package minisig reads and writes Ed25519 keys and signatures in the
// format of minisign (https://jedisct1.github.io/minisign/), so that a
// signature retrace writes into a capture can be checked with the minisign
// tool: public key files, .minisig signature files (legacy "Ed" algorithm:
// Ed25519 over the message itself) and retrace's own unencrypted secret key
// file. Keys and signatures are safe for concurrent use.
package minisig
