package faq

import (
	"context"
	"crypto/sha256"
	"io"
	"io/fs"
	"time"

	"migrantbot/internal/bot"
)

// Watch reloads the FAQ whenever its files change, checking every interval
// until ctx is done. A FAQ without errors goes to apply; a FAQ with errors is
// rejected whole (the one in use stays) and its problems go to reject, once
// per change. Polling file contents, rather than watching for file events,
// works on every file system and with editors that save by renaming.
func Watch(ctx context.Context, fsys fs.FS, dir string, interval time.Duration, apply func(*bot.Catalog), reject func(error)) {
	// No baseline: the first check reloads, so an edit made between the
	// caller's own load and this goroutine starting is not missed.
	var seen [sha256.Size]byte
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := fingerprint(fsys)
		if now == seen {
			continue
		}
		seen = now
		cat, problems := Load(fsys, dir, time.Now())
		if err := Err(problems); err != nil {
			reject(err)
			continue
		}
		apply(cat)
	}
}

// fingerprint sums the names and contents of every file under fsys.
func fingerprint(fsys fs.FS) [sha256.Size]byte {
	h := sha256.New()
	fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			io.WriteString(h, p+"\x00")
			return nil
		}
		io.WriteString(h, p+"\x00")
		if f, err := fsys.Open(p); err == nil {
			io.Copy(h, f)
			f.Close()
		}
		io.WriteString(h, "\x00")
		return nil
	})
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}
