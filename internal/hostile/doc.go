// Package hostile builds the crafted inputs of retrace's hostile corpus:
// rule files and captures shaped to make a careless implementation take
// quadratic time, unbounded memory or block forever, each at a size given
// by the caller. The files are generated on demand, so the corpus costs no
// committed bytes; tests run each case under a time and memory limit and
// assert the clear error or the bounded success (cmd/retrace's
// TestHostileCorpus runs every case in a child process under 10 s of CPU
// time and 512 MiB of peak RSS).
package hostile
