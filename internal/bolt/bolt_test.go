package bolt_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"migrantbot/internal/bolt"
	"migrantbot/internal/bot"
)

func TestSessionSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	ctx := context.Background()
	db, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	seen := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	want := bot.Session{ChatID: -1001234567890, Lang: "ky", Step: "x", Source: "osh_centre", FirstSeen: seen, LastSeen: seen}
	if err := db.SaveSession(ctx, want); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, found, err := db.Session(ctx, want.ChatID)
	if err != nil || !found {
		t.Fatalf("Session: found=%v err=%v", found, err)
	}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if _, found, _ := db.Session(ctx, 42); found {
		t.Error("a chat never seen has a session")
	}
}

func TestFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	db, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("mode %o, want 600", perm)
	}
}

func TestSecondOpenFailsClearly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	db, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	_, err = bolt.Open(path)
	if err == nil || !strings.Contains(err.Error(), "in use by another migrantbot process") {
		t.Fatalf("second open: %v", err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("second open waited %v", waited)
	}
}
