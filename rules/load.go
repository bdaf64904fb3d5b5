package rules

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/internal/regularfile"
)

// Options configure [Load].
type Options struct {
	// Fields is the field registry conditions, outputs and exception fields
	// are checked and compiled against. Required.
	Fields engine.Registry
	// EventTypes is the event table evt.type values are checked against
	// and event types inferred from. Required.
	EventTypes engine.EventTypes
	// Sources are the event sources whose rules are compiled; rules for
	// other sources are skipped with a warning. Nil means {"syscall"}.
	Sources []string
	// Plugins are the plugins whose fields retrace provides, checked
	// against required_plugin_versions. Nil means [ProvidedPlugins].
	Plugins []Plugin
}

func (o *Options) sources() []string {
	if o.Sources == nil {
		return []string{"syscall"}
	}
	return o.Sources
}

func (o *Options) plugins() []Plugin {
	if o.Plugins == nil {
		return ProvidedPlugins()
	}
	return o.Plugins
}

// File is a rules file's name and content, for [LoadFiles].
type File struct {
	Name string
	Data []byte
}

// MaxFileSize bounds a rules file, and MaxLoadSize all the files of one
// load together (docs/FORMAT.md, "Limits of the analysis"): the largest
// upstream file is about 150 KiB, all of them together 300 KiB.
const (
	MaxFileSize = 16 << 20
	MaxLoadSize = 16 << 20
)

// ExpandPaths returns the rules files named by paths in the order Falco
// loads them: each path in turn; a directory contributes its .yaml and
// .yml files (not its subdirectories), sorted by name.
func ExpandPaths(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("read rules: %w", err)
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("read rules directory: %w", err)
		}
		var names []string
		for _, e := range entries {
			ext := strings.ToLower(filepath.Ext(e.Name()))
			if ext != ".yaml" && ext != ".yml" {
				continue
			}
			if e.Type()&os.ModeSymlink != 0 {
				// Kubernetes mounts ConfigMaps as symlinks: follow them
				// (os.Stat fails on a loop) to a regular file.
				st, err := os.Stat(filepath.Join(p, e.Name()))
				if err != nil {
					return nil, fmt.Errorf("read rules directory %s: %w", p, err)
				}
				if st.Mode().IsRegular() {
					names = append(names, e.Name())
				}
				continue
			}
			if e.Type().IsRegular() {
				names = append(names, e.Name())
			}
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("read rules directory %s: no .yaml or .yml files in it", p)
		}
		slices.Sort(names)
		for _, n := range names {
			out = append(out, filepath.Join(p, n))
		}
	}
	return out, nil
}

// Load reads the rules files and directories in paths (see [ExpandPaths]
// for the order), applies Falco's definition, append and override
// semantics, and checks and compiles every rule. It returns the loaded
// set and, when anything is wrong, a *[LoadError] listing every error; the
// set is returned even then, with its warnings.
func Load(paths []string, opts Options) (*Set, error) {
	names, err := ExpandPaths(paths)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, &LoadError{Errors: []*Error{{
				Diagnostic: Diagnostic{Severity: SeverityError, Code: CodeReadFile, Pos: Position{File: pe.Path},
					Kind: KindFile, Message: pe.Err.Error()},
				Err: err,
			}}}
		}
		return nil, err
	}
	files := make([]File, 0, len(names))
	var readErrs []*Error
	total := 0
	for _, n := range names {
		data, err := readLimited(n, MaxLoadSize-total)
		if err != nil {
			readErrs = append(readErrs, &Error{Diagnostic: Diagnostic{
				Severity: SeverityError, Code: CodeReadFile, Pos: Position{File: n}, Kind: KindFile,
				Message: err.Error()}, Err: err})
			if errors.Is(err, errLoadSize) {
				break
			}
			continue
		}
		total += len(data)
		files = append(files, File{Name: n, Data: data})
	}
	if len(readErrs) > 0 {
		return nil, &LoadError{Errors: readErrs}
	}
	return LoadFiles(files, opts)
}

// errLoadSize marks the file that takes a load past [MaxLoadSize].
var errLoadSize = fmt.Errorf("this file takes the rules files of this load past the %d bytes (%d MiB) allowed together",
	MaxLoadSize, MaxLoadSize>>20)

// readLimited reads the rules file name, refusing more than
// [MaxFileSize] bytes or more than left, the bytes the load has left.
func readLimited(name string, left int) ([]byte, error) {
	f, err := regularfile.Open(name)
	if err != nil {
		var ne *regularfile.NotRegularError
		if errors.As(err, &ne) {
			return nil, fmt.Errorf("not a rules file: %s", ne.Kind())
		}
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize || len(data) > left {
		return nil, sizeError(len(data) > MaxFileSize)
	}
	return data, nil
}

// sizeError says which bound a rules file crossed: its own, or the
// load's.
func sizeError(file bool) error {
	if file {
		return fmt.Errorf("rules file is more than the %d bytes (%d MiB) allowed per file", MaxFileSize, MaxFileSize>>20)
	}
	return errLoadSize
}

// LoadFiles is [Load] for files already in memory, loaded in order.
func LoadFiles(files []File, opts Options) (*Set, error) {
	if opts.Fields == nil {
		return nil, errors.New("load rules: no field registry")
	}
	if opts.EventTypes == nil {
		return nil, errors.New("load rules: no event type table")
	}
	total := 0
	for _, f := range files {
		if total += len(f.Data); len(f.Data) > MaxFileSize || total > MaxLoadSize {
			err := sizeError(len(f.Data) > MaxFileSize)
			return nil, &LoadError{Errors: []*Error{{Diagnostic: Diagnostic{
				Severity: SeverityError, Code: CodeReadFile, Pos: Position{File: f.Name}, Kind: KindFile,
				Message: err.Error()}, Err: err}}}
		}
	}
	l := &loader{opts: opts}
	// Files decode independently, in parallel; their items are then
	// collected in file order.
	type decoded struct {
		docs []*yaml.Node
		err  error
	}
	results := make([]decoded, len(files))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, f := range files {
		src := newSourceFile(f.Name, f.Data)
		l.files = append(l.files, src)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i].docs, results[i].err = decodeFile(src)
		}()
	}
	wg.Wait()
	for i, src := range l.files {
		l.readFile(src, results[i].docs, results[i].err)
	}
	l.applyAppends()
	set := l.compile()
	if len(l.errors) > 0 {
		return set, &LoadError{Errors: l.errors}
	}
	return set, nil
}

// loader holds the state of one load: what the files defined so far, and
// the diagnostics.
type loader struct {
	opts           Options
	files          []*sourceFile
	lists          indexed[listInfo]
	macros         indexed[macroInfo]
	rules          indexed[ruleInfo]
	counter        int
	requiredEngine Version
	plugins        []PluginRequirement
	errors         []*Error
	warnings       []Diagnostic
}
