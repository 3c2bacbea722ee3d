package pastedeploy_test

import (
	"os"
	"path/filepath"
	"testing"
)

// TestConformance runs every case of testdata/conformance/cases (see
// testdata/conformance/README.md) as a subtest named by its id.
func TestConformance(t *testing.T) {
	root := filepath.Join(conformanceDir, "cases")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatalf("%v (the data is copied into testdata/ by scripts/sync-conformance)", err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		t.Run(e.Name(), func(t *testing.T) {
			dir, err := filepath.Abs(filepath.Join(root, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			var cf caseFile
			if err := readJSON(filepath.Join(dir, "case.json"), &cf); err != nil {
				t.Fatal(err)
			}
			if cf.ID != e.Name() {
				t.Errorf("case id %q differs from its directory name %q", cf.ID, e.Name())
			}
			runLoadCase(t, &loadCase{
				label:     "case " + cf.ID,
				title:     cf.Title,
				basis:     cf.Basis,
				note:      cf.Note,
				dir:       dir,
				files:     dataFiles(dir),
				load:      cf.Load,
				factories: cf.Factories,
				builtins:  cf.Builtins,
				expect:    cf.Expect,
			})
		})
	}
	if n == 0 {
		t.Fatalf("no cases under %s (run scripts/sync-conformance)", root)
	}
}
