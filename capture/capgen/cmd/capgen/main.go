// Command capgen writes a synthetic capture (see package capgen), e.g. the
// benchmark capture:
//
//	go run ./capture/capgen/cmd/capgen -events 5000000 -o testdata/bench/bench.scap.zst
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/retrace-dev/retrace/capture/capgen"
)

func main() {
	events := flag.Int("events", 10000, "number of events")
	seed := flag.Uint64("seed", 1, "pseudo-random seed")
	out := flag.String("o", "", "output file (.scap, .scap.gz or .scap.zst)")
	host := flag.String("host", "", `the simulated machine's host name (default "capgen")`)
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "capgen: -o FILE is required")
		os.Exit(2)
	}
	st, err := capgen.WriteFile(*out, capgen.Options{Events: *events, Seed: *seed, Hostname: *host})
	if err != nil {
		fmt.Fprintf(os.Stderr, "capgen: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%s: %d events, %d sessions\n", *out, st.Events, st.Sessions)
}
