// Package hostile builds the crafted inputs of retrace's hostile corpus:
// rule files and captures shaped to make a careless implementation take
// quadratic time, unbounded memory or block forever, each at a size given
// by the caller. The files are generated on demand, so the corpus costs no
// committed bytes; tests run each case under a time and memory limit and
// assert the clear error or the bounded success (see testdata/hostile).
package hostile
