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
	if _, err := db.SaveTurn(ctx, bot.Turn{Session: want}); err != nil {
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

func TestQuestionLogAndPicks(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "bot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2026, 11, d, 9, 0, 0, 0, time.UTC) }
	first, _ := db.LogQuestion(ctx, bot.Question{Text: "старый вопрос", Lang: "ru", Band: "none", Time: day(1)})
	id, err := db.LogQuestion(ctx, bot.Question{Text: "каттоо", Lang: "ky", Band: "suggest", Suggestions: []string{"stay.registration", "stay.period"}, Time: day(20)})
	if err != nil || id != first+1 {
		t.Fatalf("ids %d, %d: %v", first, id, err)
	}

	for _, pick := range []string{"help.embassy", "stay.period", "stay.registration"} { // not offered, first, second
		if err := db.PickSuggestion(ctx, id, pick); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.PickSuggestion(ctx, 999, "stay.period"); err != nil {
		t.Errorf("a pick for an unknown question: %v", err)
	}

	list, err := db.Questions(ctx, day(10))
	if err != nil || len(list) != 1 {
		t.Fatalf("since day 10: %+v, %v", list, err)
	}
	if q := list[0]; q.ID != id || q.Picked != "stay.period" || q.Text != "каттоо" || q.Band != "suggest" {
		t.Errorf("logged %+v", q)
	}
	if all, _ := db.Questions(ctx, time.Time{}); len(all) != 2 {
		t.Errorf("all questions: %d", len(all))
	}
}

func TestTurnIsSavedWholeWithItsRepliesUntilDelivered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	db, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	turn := bot.Turn{
		EventID: "tg:41",
		Session: bot.Session{ChatID: 7, Lang: "ky"},
		Replies: []bot.Reply{{ChatID: 7, Text: "бир"}, {ChatID: 7, Text: "эки", Buttons: [][]bot.Button{{{Label: "a", Data: "1:menu"}}}}},
	}
	ids, err := db.SaveTurn(ctx, turn)
	if err != nil || len(ids) != 2 || ids[1] != ids[0]+1 {
		t.Fatalf("ids %v, %v", ids, err)
	}
	if _, err := db.SaveTurn(ctx, bot.Turn{Session: bot.Session{ChatID: 8}, Replies: []bot.Reply{{ChatID: 8, Text: "console"}}}); err != nil {
		t.Fatal(err)
	}
	db.Close() // as after a crash: everything below is read from the file

	db, err = bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if done, _ := db.Handled(ctx, "tg:41"); !done {
		t.Error("event not marked handled")
	}
	if done, _ := db.Handled(ctx, "tg:42"); done {
		t.Error("an unseen event is marked handled")
	}
	out, err := db.Outbox(ctx)
	if err != nil || len(out) != 2 || out[0].ID != ids[0] || out[1].Text != "эки" || out[1].Buttons[0][0].Data != "1:menu" {
		t.Fatalf("outbox %+v, %v (a turn without an event id keeps no replies)", out, err)
	}
	if err := db.Delivered(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if out, _ = db.Outbox(ctx); len(out) != 1 || out[0].ID != ids[1] {
		t.Errorf("after delivery: %+v", out)
	}

	if n, _ := db.Offset(ctx, "telegram"); n != 0 {
		t.Errorf("offset before any: %d", n)
	}
	db.SetOffset(ctx, "telegram", 42)
	if n, _ := db.Offset(ctx, "telegram"); n != 42 {
		t.Errorf("offset %d", n)
	}

	db.MarkBlocked(ctx, 7)
	if s, _, _ := db.Session(ctx, 7); !s.Blocked || s.Lang != "ky" {
		t.Errorf("blocked session %+v", s)
	}
	if n, err := db.PruneHandled(ctx, time.Now().Add(time.Hour)); n != 1 || err != nil {
		t.Errorf("pruned %d, %v", n, err)
	}
	if done, _ := db.Handled(ctx, "tg:41"); done {
		t.Error("pruned event still handled")
	}
}

func TestRetentionAndStats(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "bot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	old := now.AddDate(0, 0, -200)
	closedLongAgo := bot.Referral{ID: 1, ChatID: 11, Destination: "osh", Status: bot.StatusClosed, Description: "d", Phone: "+7900", City: "c", Created: old,
		History: []bot.Change{{Time: old, Status: bot.StatusNew}, {Time: old, Status: bot.StatusClosed}}}
	openLongAgo := bot.Referral{ID: 2, ChatID: 12, Destination: "bishkek", Status: bot.StatusTaken, Description: "d", Created: old,
		History: []bot.Change{{Time: old, Status: bot.StatusTaken}}}
	closedRecently := bot.Referral{ID: 3, ChatID: 13, Destination: "osh", Status: bot.StatusClosed, Description: "d", Created: now,
		History: []bot.Change{{Time: now.AddDate(0, 0, -3), Status: bot.StatusClosed}}}
	db.SaveTurn(ctx, bot.Turn{Session: bot.Session{ChatID: 11, Lang: "ky", Source: "osh_qr", FirstSeen: old, LastSeen: old},
		Referrals: []bot.Referral{closedLongAgo, openLongAgo, closedRecently}, Counts: []string{"band:answer", "band:answer", "entry:stay.patent"}})
	db.SaveTurn(ctx, bot.Turn{Session: bot.Session{ChatID: 12, Lang: "ru", FirstSeen: now, LastSeen: now}})

	st, err := db.Stats(ctx, now.AddDate(0, 0, -1))
	if err != nil || st.Users["lang:ru"] != 1 || st.Users["lang:ky"] != 0 || st.Counts["band:answer"] != 2 ||
		st.Referrals["destination:osh"] != 1 || st.Referrals["status:closed"] != 1 {
		t.Errorf("stats since yesterday: %+v, %v", st, err)
	}

	referrals, sessions, err := db.Retain(ctx, now, 180)
	if err != nil || referrals != 1 || sessions != 1 {
		t.Fatalf("retained: %d referrals, %d sessions, %v", referrals, sessions, err)
	}
	r1, _, _ := db.Referral(ctx, 1)
	if !r1.Erased || r1.Description != "" || r1.Phone != "" || r1.ChatID != 0 || r1.Destination != "osh" || len(r1.History) != 3 {
		t.Errorf("closed long ago: %+v", r1)
	}
	for _, id := range []uint64{2, 3} {
		if r, _, _ := db.Referral(ctx, id); r.Erased || r.Description == "" {
			t.Errorf("referral %d erased too soon: %+v", id, r)
		}
	}
	if _, found, _ := db.Session(ctx, 11); found {
		t.Error("a session idle for 200 days is kept")
	}
	if _, found, _ := db.Session(ctx, 12); !found {
		t.Error("an active session was deleted")
	}
}
