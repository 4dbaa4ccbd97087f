package bolt

import (
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

func TestOpenMigratesOlderFilesAndRefusesNewerOnes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	// A later layout: the file, at version 1, is taken to version 2 once.
	original := migrations
	defer func() { migrations = original }()
	runs := 0
	migrations = append(original[:len(original):len(original)], func(tx *bbolt.Tx) error {
		runs++
		_, err := tx.CreateBucketIfNotExists([]byte("added-in-2"))
		return err
	})
	for i := 0; i < 2; i++ {
		db, err = Open(path)
		if err != nil {
			t.Fatal(err)
		}
		db.db.View(func(tx *bbolt.Tx) error {
			if tx.Bucket([]byte("added-in-2")) == nil {
				t.Error("the migration's bucket is missing")
			}
			return nil
		})
		db.Close()
	}
	if runs != 1 {
		t.Errorf("the migration ran %d times", runs)
	}

	// Back to the older code: it refuses the newer file.
	migrations = original
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "written by a newer migrantbot (schema 2, this one reads 1)") {
		t.Errorf("older code on a newer file: %v", err)
	}
}
