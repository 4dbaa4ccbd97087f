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
	bucketHandled   = []byte("handled") // event id -> when it was handled
	bucketOutbox    = []byte("outbox")  // reply id -> a reply not yet delivered
	keyOffsetPrefix = "offset/"         // in meta: where a transport resumes
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
		for _, name := range [][]byte{bucketMeta, bucketSessions, bucketQuestions, bucketHandled, bucketOutbox} {
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
	// Turns of chats handled at the same moment share a commit; a lone turn
	// waits at most this long for company.
	db.MaxBatchDelay = 2 * time.Millisecond
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

// SaveTurn saves the session changed by an event and, for an event with an
// id, that it was handled and its replies, in one transaction: after a
// crash either all of it is on disk or none.
func (d *DB) SaveTurn(_ context.Context, t bot.Turn) ([]uint64, error) {
	sv, err := encode(t.Session)
	if err != nil {
		return nil, err
	}
	var ids []uint64
	// Batch joins the turns of chats handled at the same moment into one
	// commit (one disk sync for many); each caller returns once its own turn
	// is on disk. A failed batch runs each function again alone, so the
	// function starts from scratch.
	err = d.db.Batch(func(tx *bbolt.Tx) error {
		ids = ids[:0]
		if err := tx.Bucket(bucketSessions).Put(itob(uint64(t.Session.ChatID)), sv); err != nil {
			return err
		}
		if t.EventID == "" {
			return nil
		}
		now, _ := time.Now().MarshalText()
		if err := tx.Bucket(bucketHandled).Put([]byte(t.EventID), now); err != nil {
			return err
		}
		outbox := tx.Bucket(bucketOutbox)
		for _, r := range t.Replies {
			id, err := outbox.NextSequence()
			if err != nil {
				return err
			}
			r.ID = id
			v, err := encode(r)
			if err != nil {
				return err
			}
			if err := outbox.Put(itob(id), v); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids, err
}

// Handled reports whether an event id was handled.
func (d *DB) Handled(_ context.Context, eventID string) (bool, error) {
	var found bool
	err := d.db.View(func(tx *bbolt.Tx) error {
		found = tx.Bucket(bucketHandled).Get([]byte(eventID)) != nil
		return nil
	})
	return found, err
}

// PruneHandled forgets events handled before a time, once no transport
// can deliver them again; it returns how many it forgot.
func (d *DB) PruneHandled(_ context.Context, before time.Time) (int, error) {
	n := 0
	err := d.db.Update(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketHandled).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var at time.Time
			if err := at.UnmarshalText(v); err != nil || at.Before(before) {
				if err := c.Delete(); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	return n, err
}

// Outbox returns the replies not yet delivered, oldest first.
func (d *DB) Outbox(_ context.Context) ([]bot.Reply, error) {
	var list []bot.Reply
	err := d.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketOutbox).ForEach(func(_, v []byte) error {
			var r bot.Reply
			if err := decode(v, &r); err != nil {
				return err
			}
			list = append(list, r)
			return nil
		})
	})
	return list, err
}

// Delivered removes a reply from the outbox: sent, or never to be sent.
// Replies delivered at the same moment share one commit.
func (d *DB) Delivered(_ context.Context, replyID uint64) error {
	return d.db.Batch(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketOutbox).Delete(itob(replyID))
	})
}

// Offset is where a transport resumes reading events (0: from the start).
func (d *DB) Offset(_ context.Context, transport string) (int, error) {
	var n int
	err := d.db.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get([]byte(keyOffsetPrefix + transport)); v != nil {
			n = int(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	return n, err
}

// SetOffset records where a transport resumes.
func (d *DB) SetOffset(_ context.Context, transport string, offset int) error {
	return d.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketMeta).Put([]byte(keyOffsetPrefix+transport), itob(uint64(offset)))
	})
}

// MarkBlocked records that a user blocked the bot.
func (d *DB) MarkBlocked(_ context.Context, chatID int64) error {
	return d.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		v := b.Get(itob(uint64(chatID)))
		if v == nil {
			return nil
		}
		var s bot.Session
		if err := decode(v, &s); err != nil {
			return err
		}
		s.Blocked = true
		v, err := encode(s)
		if err != nil {
			return err
		}
		return b.Put(itob(uint64(chatID)), v)
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
