// Package bolt stores the bot's state in a bbolt file. bbolt transactions
// never leave this package.
package bolt

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"
	"migrantbot/internal/bot"
)

// schemaVersion is the layout of buckets and records this code reads and
// writes; Open refuses a file written by a newer layout.
const schemaVersion = 1

var (
	bucketMeta      = []byte("meta")
	bucketSessions  = []byte("sessions")
	bucketQuestions = []byte("questions")
	keySchema       = []byte("schema")
)

// lockTimeout is how long Open waits for another process to let go of the
// file: long enough for a restart to overlap, short enough to fail clearly.
const lockTimeout = time.Second

// DB is the bot's store.
type DB struct {
	db *bbolt.DB
}

// record wraps every stored value with the version of its layout.
type record[T any] struct {
	V    int `json:"v"`
	Data T   `json:"data"`
}

// Open opens or creates the store at path (mode 0600: it holds personal data).
func Open(path string) (*DB, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: lockTimeout})
	if errors.Is(err, bbolt.ErrTimeout) {
		return nil, fmt.Errorf("database %s is in use by another migrantbot process; stop it or set MIGRANTBOT_DB to another file", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketSessions, bucketQuestions} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(keySchema); v != nil {
			if got := int(binary.BigEndian.Uint64(v)); got > schemaVersion {
				return fmt.Errorf("it was written by a newer migrantbot (schema %d, this one reads %d)", got, schemaVersion)
			}
		}
		return meta.Put(keySchema, itob(schemaVersion))
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	return &DB{db: db}, nil
}

// Close releases the file.
func (d *DB) Close() error { return d.db.Close() }

// Session returns the session of a chat.
func (d *DB) Session(_ context.Context, chatID int64) (bot.Session, bool, error) {
	var s bot.Session
	var found bool
	err := d.db.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketSessions).Get(itob(uint64(chatID)))
		if v == nil {
			return nil
		}
		found = true
		return decode(v, &s)
	})
	return s, found, err
}

// SaveSession writes a session; it is on disk when SaveSession returns.
func (d *DB) SaveSession(_ context.Context, s bot.Session) error {
	v, err := encode(s)
	if err != nil {
		return err
	}
	return d.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketSessions).Put(itob(uint64(s.ChatID)), v)
	})
}

// LogQuestion appends a question to the log and returns its id.
func (d *DB) LogQuestion(_ context.Context, q bot.Question) (uint64, error) {
	v, err := encode(q)
	if err != nil {
		return 0, err
	}
	var id uint64
	err = d.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketQuestions)
		id, err = b.NextSequence()
		if err != nil {
			return err
		}
		return b.Put(itob(id), v)
	})
	return id, err
}

// PickSuggestion records the entry a user chose among a question's
// suggestions; only an entry that was offered, and only the first choice.
func (d *DB) PickSuggestion(_ context.Context, id uint64, entry string) error {
	return d.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketQuestions)
		v := b.Get(itob(id))
		if v == nil {
			return nil
		}
		var q bot.Question
		if err := decode(v, &q); err != nil {
			return err
		}
		if q.Picked != "" || !slices.Contains(q.Suggestions, entry) {
			return nil
		}
		q.Picked = entry
		v, err := encode(q)
		if err != nil {
			return err
		}
		return b.Put(itob(id), v)
	})
}

// Questions returns the logged questions asked at or after since, oldest first.
func (d *DB) Questions(_ context.Context, since time.Time) ([]bot.Question, error) {
	var list []bot.Question
	err := d.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketQuestions).ForEach(func(k, v []byte) error {
			var q bot.Question
			if err := decode(v, &q); err != nil {
				return err
			}
			if !q.Time.Before(since) {
				q.ID = binary.BigEndian.Uint64(k)
				list = append(list, q)
			}
			return nil
		})
	})
	return list, err
}

func encode[T any](v T) ([]byte, error) {
	return json.Marshal(record[T]{V: schemaVersion, Data: v})
}

func decode[T any](b []byte, v *T) error {
	r := record[T]{}
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("decode record: %w", err)
	}
	*v = r.Data
	return nil
}

// itob is a big-endian key, so that keys sort as numbers.
func itob(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}
