package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOutputIsInputRefused runs every command that writes a file with that
// file naming one of its inputs (by its path, through a symlink or a hard
// link) and checks that it refuses with a message naming both, exits
// with the usage code and leaves the input as it was.
func TestOutputIsInputRefused(t *testing.T) {
	dir := t.TempDir()
	capture := genCapture(t, "c.scap.zst", 200)
	link := filepath.Join(dir, "link.scap.zst")
	if err := os.Symlink(capture, link); err != nil {
		t.Fatal(err)
	}
	rulesDir := filepath.Join(dir, "rules.d")
	ruleFile := filepath.Join(rulesDir, "r.yaml")
	write := func(path, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(ruleFile, "- rule: Shell\n  desc: d\n  condition: evt.type = execve and proc.name = sh\n  output: shell %proc.name\n  priority: WARNING\n")
	hardRule := filepath.Join(dir, "hard.yaml")
	if err := os.Link(ruleFile, hardRule); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "falco.yaml")
	write(config, "json_output: false\n")
	key := filepath.Join(dir, "k.key")
	write(key, "not a key: refused before it is read\n")
	suitePath := filepath.Join(dir, "suite.yaml")
	write(suitePath, "cases:\n  - name: a\n    capture: "+capture+"\n    rules: ["+rulesDir+"]\n    expect:\n      counts: {}\n")

	list := filepath.Join(dir, "hosts.txt")
	write(list, capture+"\n")
	inputs := []string{capture, ruleFile, config, key, suitePath, list}
	snapshot := func() map[string][]byte {
		m := map[string][]byte{}
		for _, p := range inputs {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			m[p] = b
		}
		return m
	}
	before := snapshot()
	sameVia := " (the same file, through a symlink or hard link)"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"replay --out capture", []string{"replay", capture, "--out", capture},
			"--out " + capture + " is the capture " + capture + " (the same file)"},
		{"replay --out symlink", []string{"replay", capture, "--out", link},
			"--out " + link + " is the capture " + capture + sameVia},
		{"replay --out rules file in a directory", []string{"replay", capture, "-r", rulesDir, "--out", ruleFile},
			"--out " + ruleFile + " is the rules file " + ruleFile},
		{"replay --out hard link to a rules file", []string{"replay", capture, "-r", ruleFile, "--out", hardRule},
			"--out " + hardRule + " is the rules file " + ruleFile + sameVia},
		{"replay --out configuration", []string{"replay", capture, "-c", config, "--out", config},
			"--out " + config + " is the configuration file " + config},
		{"replay file_output", []string{"replay", capture, "-o", "file_output.enabled=true", "-o", "file_output.filename=" + link},
			"file_output.filename " + link + " is the capture " + capture + sameVia},
		{"replay --out capture list", []string{"replay", "@" + list, "--out", list},
			"--out " + list + " is the capture list " + list},
		{"events --out capture list", []string{"events", "@" + list, "--out", list},
			"--out " + list + " is the capture list " + list},
		{"timeline --out", []string{"timeline", capture, "--out", link},
			"--out " + link + " is the capture " + capture + sameVia},
		{"events --out", []string{"events", capture, "--out", capture},
			"--out " + capture + " is the capture " + capture},
		{"events -w", []string{"events", capture, "-w", link},
			"-w " + link + " is the capture " + capture + sameVia},
		{"events --out and -w", []string{"events", capture, "--out", dir + "/x.scap", "-w", dir + "/x.scap"},
			"-w " + dir + "/x.scap and --out " + dir + "/x.scap are the same file"},
		{"export -o", []string{"export", capture, "-o", link},
			"-o " + link + " is the capture " + capture + sameVia},
		{"export -o rules file", []string{"export", capture, "-r", rulesDir, "-o", ruleFile},
			"-o " + ruleFile + " is the rules file " + ruleFile},
		{"convert", []string{"convert", capture, link},
			"output " + link + " is the capture " + capture + sameVia},
		{"redact", []string{"redact", capture, "-o", link, "--env", "*"},
			"output " + link + " is the capture " + capture + sameVia},
		{"redact over the signing key", []string{"redact", capture, "-o", key, "--env", "*", "--sign-key", key},
			"output " + key + " is the --sign-key " + key},
		{"redact over the pseudonym key", []string{"redact", capture, "-o", key, "--pseudonymize", "users", "--pseudonym-key", key},
			"output " + key + " is the --pseudonym-key " + key},
		{"test --junit suite", []string{"test", suitePath, "--junit", suitePath},
			"--junit " + suitePath + " is the suite " + suitePath},
		{"test --junit capture", []string{"test", suitePath, "--junit", link},
			"--junit " + link + " is the capture " + capture + sameVia},
		{"test --junit rules", []string{"test", suitePath, "--junit", hardRule},
			"--junit " + hardRule + " is the rules file " + ruleFile + sameVia},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runCaptureCLI(t, tc.args...)
			if code := exitCode(err); code != exitUsage {
				t.Errorf("exit code %d, want %d (err %v)", code, exitUsage, err)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant it to contain %q", err, tc.want)
			}
			for p, b := range snapshot() {
				if !bytes.Equal(b, before[p]) {
					t.Fatalf("%s changed", p)
				}
			}
		})
	}
}
