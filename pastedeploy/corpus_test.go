package pastedeploy_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestCorpus performs the loads listed in testdata/conformance/corpus/corpus.json
// on the real-world INI files next to it: one subtest per file, one per load.
// ${DIR} is the directory of the file.
func TestCorpus(t *testing.T) {
	root := filepath.Join(conformanceDir, "corpus")
	var corpus corpusFile
	if err := readJSON(filepath.Join(root, "corpus.json"), &corpus); err != nil {
		t.Fatal(err)
	}
	if len(corpus.Files) == 0 {
		t.Fatal("corpus.json lists no files")
	}
	for _, f := range corpus.Files {
		t.Run(f.File, func(t *testing.T) {
			path, err := filepath.Abs(filepath.Join(root, filepath.FromSlash(f.File)))
			if err != nil {
				t.Fatal(err)
			}
			for i, l := range f.Loads {
				name := fmt.Sprintf("%d_%s", i, l.Load.Kind)
				if _, frag, ok := strings.Cut(l.Load.URI, "#"); ok {
					name += "_" + frag
				}
				t.Run(name, func(t *testing.T) {
					runLoadCase(t, &loadCase{
						label:     fmt.Sprintf("corpus %s load %d", f.File, i),
						title:     f.Origin,
						basis:     l.Basis,
						note:      l.Note,
						dir:       filepath.Dir(path),
						files:     []string{path},
						load:      l.Load,
						factories: f.Factories,
						expect:    l.Expect,
					})
				})
			}
		})
	}
}
