package faq_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"migrantbot/internal/bot"
	"migrantbot/internal/faq"
)

// writeAtomically saves a file the way editors do: a new file renamed over the old.
func writeAtomically(t *testing.T, path, data string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// versioned is the entry stay.a with a version mark in both languages.
func versioned(v string) string {
	s := strings.Replace(entry, "**Ооба.** Каттоо керек.", "Версия "+v+".", 1)
	return strings.Replace(s, "**Да.** Нужна.", "Версия "+v+".", 1)
}

func TestReloadAppliesGoodEditsAndKeepsTheLastGoodCatalogue(t *testing.T) {
	dir := t.TempDir()
	for name, data := range valid() {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		writeAtomically(t, filepath.Join(dir, name), data)
	}
	writeAtomically(t, filepath.Join(dir, "stay", "a.yaml"), versioned("1"))
	cat, problems := faq.Load(os.DirFS(dir), dir, time.Now())
	if err := faq.Err(problems); err != nil {
		t.Fatal(err)
	}
	library := bot.NewLibrary(&bot.Knowledge{Catalog: cat})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rejected := make(chan error, 10)
	go faq.Watch(ctx, os.DirFS(dir), dir, 5*time.Millisecond,
		func(c *bot.Catalog) { library.Set(&bot.Knowledge{Catalog: c}) },
		func(err error) { rejected <- err })

	// Readers check all along that every catalogue they get is whole:
	// both languages of stay.a from the same version, stay.b present.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c := library.Current().Catalog
				a, okA := c.Entry("stay.a")
				_, okB := c.Entry("stay.b")
				if !okA || !okB || a.Text["ky"].Answer != a.Text["ru"].Answer {
					t.Errorf("half-loaded catalogue: a=%v b=%v %+v", okA, okB, a)
					return
				}
			}
		}()
	}
	version := func() string { e, _ := library.Current().Catalog.Entry("stay.a"); return e.Text["ru"].Answer }
	waitFor := func(want string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for version() != want {
			if time.Now().After(deadline) {
				t.Fatalf("answer is %q, want %q", version(), want)
			}
			time.Sleep(time.Millisecond)
		}
	}

	writeAtomically(t, filepath.Join(dir, "stay", "a.yaml"), versioned("2"))
	waitFor("Версия 2.")

	writeAtomically(t, filepath.Join(dir, "stay", "a.yaml"), strings.Replace(versioned("3"), "ru:", "ru: [", 1))
	select {
	case err := <-rejected:
		if !strings.Contains(err.Error(), filepath.Join(dir, "stay", "a.yaml")+":") {
			t.Errorf("rejection does not name the file and line: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("broken edit was not rejected")
	}
	if v := version(); v != "Версия 2." {
		t.Errorf("after a broken edit the answer is %q, want the last good one", v)
	}

	writeAtomically(t, filepath.Join(dir, "stay", "a.yaml"), versioned("4"))
	waitFor("Версия 4.")
	close(stop)
	wg.Wait()
}
