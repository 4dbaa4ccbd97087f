// Package bolt stores the bot's state in a bbolt file. bbolt transactions
// never leave this package.
package bolt

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"
	"migrantbot/internal/bot"
)

// migrations take a database from one layout to the next: migrations[i]
// from version i+1 to i+2. A change to buckets or records that old files
// cannot be read with adds one here; Open runs those a file needs.
var migrations []func(tx *bbolt.Tx) error

// schemaVersion is the layout this code reads and writes; Open refuses a
// file written by a newer one.
func schemaVersion() int { return 1 + len(migrations) }

var (
	bucketMeta      = []byte("meta")
	bucketSessions  = []byte("sessions")
	bucketQuestions = []byte("questions")
	bucketHandled   = []byte("handled") // event id -> when it was handled
	bucketOutbox    = []byte("outbox")  // reply id -> a reply not yet delivered
	bucketReferrals = []byte("referrals")
	bucketCounts    = []byte("counts") // "2026-11-24 band:answer" -> count
	keyOffsetPrefix = "offset/"        // in meta: where a transport resumes
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

// ErrInUse: another process (a running bot) holds the database.
var ErrInUse = errors.New("in use by another migrantbot process")

// Open opens or creates the store at path (mode 0600: it holds personal data).
func Open(path string) (*DB, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: lockTimeout})
	if errors.Is(err, bbolt.ErrTimeout) {
		return nil, fmt.Errorf("database %s is %w; stop it or set MIGRANTBOT_DB to another file", path, ErrInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketSessions, bucketQuestions, bucketHandled, bucketOutbox, bucketReferrals, bucketCounts} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		version := schemaVersion() // a new file starts at the current layout
		if v := meta.Get(keySchema); v != nil {
			version = int(binary.BigEndian.Uint64(v))
		}
		if version > schemaVersion() {
			return fmt.Errorf("it was written by a newer migrantbot (schema %d, this one reads %d)", version, schemaVersion())
		}
		for ; version < schemaVersion(); version++ {
			if err := migrations[version-1](tx); err != nil {
				return fmt.Errorf("migrate from schema %d: %w", version, err)
			}
		}
		return meta.Put(keySchema, itob(uint64(version)))
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
		sessions := tx.Bucket(bucketSessions)
		if t.Forget {
			if err := sessions.Delete(itob(uint64(t.Session.ChatID))); err != nil {
				return err
			}
		} else if err := sessions.Put(itob(uint64(t.Session.ChatID)), sv); err != nil {
			return err
		}
		for _, r := range t.Referrals {
			if err := putReferral(tx, r); err != nil {
				return err
			}
		}
		day := time.Now().Format("2006-01-02") + " "
		counts := tx.Bucket(bucketCounts)
		for _, key := range t.Counts {
			k := []byte(day + key)
			n := uint64(0)
			if v := counts.Get(k); v != nil {
				n = binary.BigEndian.Uint64(v)
			}
			if err := counts.Put(k, itob(n+1)); err != nil {
				return err
			}
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

func putReferral(tx *bbolt.Tx, r bot.Referral) error {
	v, err := encode(r)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketReferrals).Put(itob(r.ID), v)
}

// ReserveReferralID takes the next referral number. A number taken by a
// turn that was never saved (a crash in between) is skipped, never reused.
func (d *DB) ReserveReferralID(_ context.Context) (uint64, error) {
	var id uint64
	err := d.db.Batch(func(tx *bbolt.Tx) error {
		var err error
		id, err = tx.Bucket(bucketReferrals).NextSequence()
		return err
	})
	return id, err
}

// Referral returns a referral by id.
func (d *DB) Referral(_ context.Context, id uint64) (bot.Referral, bool, error) {
	var r bot.Referral
	var found bool
	err := d.db.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketReferrals).Get(itob(id))
		if v == nil {
			return nil
		}
		found = true
		return decode(v, &r)
	})
	return r, found, err
}

// Referrals returns the referrals a filter selects, oldest first.
func (d *DB) Referrals(_ context.Context, f bot.ReferralFilter) ([]bot.Referral, error) {
	var list []bot.Referral
	err := d.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketReferrals).ForEach(func(_, v []byte) error {
			var r bot.Referral
			if err := decode(v, &r); err != nil {
				return err
			}
			if (f.ChatID == 0 || r.ChatID == f.ChatID) && (len(f.Statuses) == 0 || slices.Contains(f.Statuses, r.Status)) &&
				(f.Destination == "" || r.Destination == f.Destination) && !r.Created.Before(f.Since) {
				list = append(list, r)
			}
			return nil
		})
	})
	return list, err
}

// SetReferralPost records where the coordinators' post about a referral went.
func (d *DB) SetReferralPost(_ context.Context, id uint64, post bot.Post) error {
	return d.db.Update(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketReferrals).Get(itob(id))
		if v == nil {
			return nil
		}
		var r bot.Referral
		if err := decode(v, &r); err != nil {
			return err
		}
		r.Post = post
		return putReferral(tx, r)
	})
}

// Stats counts the users, questions and referrals of the period from since.
func (d *DB) Stats(_ context.Context, since time.Time) (bot.Stats, error) {
	st := bot.Stats{Users: map[string]int{}, Counts: map[string]int{}, Referrals: map[string]int{}}
	err := d.db.View(func(tx *bbolt.Tx) error {
		err := tx.Bucket(bucketSessions).ForEach(func(_, v []byte) error {
			var s bot.Session
			if err := decode(v, &s); err != nil {
				return err
			}
			if s.ChatID > 0 && !s.FirstSeen.Before(since) { // private chats only
				st.Users["lang:"+or(s.Lang, "?")]++
				st.Users["source:"+or(s.Source, "-")]++
			}
			return nil
		})
		if err != nil {
			return err
		}
		from := since.Format("2006-01-02")
		err = tx.Bucket(bucketCounts).ForEach(func(k, v []byte) error {
			day, key, _ := strings.Cut(string(k), " ")
			if day >= from {
				st.Counts[key] += int(binary.BigEndian.Uint64(v))
			}
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketReferrals).ForEach(func(_, v []byte) error {
			var r bot.Referral
			if err := decode(v, &r); err != nil {
				return err
			}
			if !r.Created.Before(since) {
				st.Referrals["destination:"+r.Destination]++
				st.Referrals["status:"+r.Status]++
			}
			return nil
		})
	})
	return st, err
}

func or(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// Retain erases the personal data of referrals closed more than days ago,
// and deletes the sessions of users not seen for that long. It returns how
// many of each it changed.
func (d *DB) Retain(_ context.Context, now time.Time, days int) (referrals, sessions int, err error) {
	limit := now.AddDate(0, 0, -days)
	err = d.db.Update(func(tx *bbolt.Tx) error {
		var erased []bot.Referral
		err := tx.Bucket(bucketReferrals).ForEach(func(_, v []byte) error {
			var r bot.Referral
			if err := decode(v, &r); err != nil {
				return err
			}
			last := r.History[len(r.History)-1]
			if r.Status == bot.StatusClosed && !r.Erased && last.Time.Before(limit) {
				r.Erase(now, fmt.Sprintf("personal data erased %d days after closing", days))
				erased = append(erased, r)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, r := range erased { // not inside ForEach: a bucket must not change while it is walked
			if err := putReferral(tx, r); err != nil {
				return err
			}
		}
		referrals = len(erased)
		stale, err := keysWhere(tx.Bucket(bucketSessions), func(v []byte) bool {
			var s bot.Session
			return decode(v, &s) == nil && s.LastSeen.Before(limit)
		})
		if err != nil {
			return err
		}
		sessions = len(stale)
		return deleteKeys(tx.Bucket(bucketSessions), stale)
	})
	return referrals, sessions, err
}

// keysWhere returns the keys whose values match; deleting while a cursor
// walks a bucket can skip keys, so deletion comes after.
func keysWhere(b *bbolt.Bucket, match func(v []byte) bool) ([][]byte, error) {
	var keys [][]byte
	err := b.ForEach(func(k, v []byte) error {
		if match(v) {
			keys = append(keys, slices.Clone(k))
		}
		return nil
	})
	return keys, err
}

func deleteKeys(b *bbolt.Bucket, keys [][]byte) error {
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Backup writes a consistent copy of the whole database, while the bot runs.
func (d *DB) Backup(w io.Writer) error {
	return d.db.View(func(tx *bbolt.Tx) error {
		_, err := tx.WriteTo(w)
		return err
	})
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
		old, err := keysWhere(tx.Bucket(bucketHandled), func(v []byte) bool {
			var at time.Time
			return at.UnmarshalText(v) != nil || at.Before(before)
		})
		if err != nil {
			return err
		}
		n = len(old)
		return deleteKeys(tx.Bucket(bucketHandled), old)
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
	return json.Marshal(record[T]{V: schemaVersion(), Data: v})
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
