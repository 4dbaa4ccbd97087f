package main

import (
	"context"
	"encoding/csv"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"migrantbot/internal/bolt"
	"migrantbot/internal/bot"
	"migrantbot/internal/telegram/telegramtest"
)

// press presses the button labelled label in the chat's last message with one.
func press(t *testing.T, srv *telegramtest.Server, u telegramtest.User, label string) {
	t.Helper()
	msgs := srv.Messages(u.ID)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].Buttons {
			for _, b := range row {
				if strings.Contains(b.Text, label) {
					srv.PressButton(u, b.Data)
					return
				}
			}
		}
	}
	t.Fatalf("no button %q", label)
}

// await waits until the chat has n messages.
func await(t *testing.T, srv *telegramtest.Server, chat int64, n int) {
	t.Helper()
	if _, err := srv.WaitMessages(chat, n, 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestKill9RightAfterConfirmingAReferral(t *testing.T) {
	bin := binary(t)
	srv := telegramtest.NewServer(t)
	dir := t.TempDir()
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": telegramtest.Token, "MIGRANTBOT_API_ENDPOINT": srv.Endpoint(),
		"MIGRANTBOT_LISTEN": freeAddr(t), "MIGRANTBOT_ADMIN_LISTEN": "127.0.0.1:0",
		"MIGRANTBOT_DB": filepath.Join(dir, "bot.db"), "MIGRANTBOT_COORDINATOR_CHAT": "-100500", "MIGRANTBOT_COORDINATORS": "77",
	}
	cmd := startBinary(t, bin, env)
	u := telegramtest.User{ID: 5151, Lang: "ru"}
	srv.SendText(u, "/start")
	await(t, srv, u.ID, 1)
	steps := []struct {
		do   func()
		want int
	}{
		{func() { press(t, srv, u, "Русский") }, 2},
		{func() { press(t, srv, u, "Связаться с человеком") }, 3},
		{func() { press(t, srv, u, "Оше") }, 4},
		{func() { press(t, srv, u, "Правила пребывания") }, 5},
		{func() { press(t, srv, u, "Согласен") }, 6},
		{func() { srv.SendText(u, "Не платят зарплату") }, 7},
		{func() { srv.SendText(u, "Казань") }, 9},
		{func() { srv.SendText(u, "+7 912 000 11 22") }, 11},
	}
	for _, s := range steps {
		s.do()
		await(t, srv, u.ID, s.want)
	}
	// Telegram stops taking messages; the user confirms; the bot commits
	// the referral and its replies, and is killed before it can send them.
	srv.Fail("sendMessage", 502, 0, 100000)
	press(t, srv, u, "Отправить")
	deadline := time.Now().Add(10 * time.Second)
	for srv.Pending() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the confirmation was not taken")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()

	srv.ClearFailures()
	startBinary(t, bin, env)
	await(t, srv, u.ID, 12)
	await(t, srv, -100500, 1)
	time.Sleep(300 * time.Millisecond)
	numbered := 0
	for _, m := range srv.Messages(u.ID) {
		if strings.Contains(m.Text, "R-000001") {
			numbered++
		}
	}
	if numbered != 1 || len(srv.Messages(-100500)) != 1 {
		t.Errorf("after the restart: %d messages with the number, %d posts; want 1 and 1", numbered, len(srv.Messages(-100500)))
	}

	// The export, while the bot runs, lists it exactly once.
	out, errOut, code := runCmd(t, env, "", "referrals", "export", "-format", "csv")
	if code != 0 {
		t.Fatalf("export: exit %d %s", code, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF"))).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][0] != "R-000001" || rows[1][7] != "Казань" {
		t.Errorf("export rows %q, %v", rows, err)
	}
	out, _, code = runCmd(t, env, "", "referrals", "list", "-status", "new")
	if code != 0 || !strings.Contains(out, "R-000001") || !strings.Contains(out, "+79120001122") {
		t.Errorf("list: %q", out)
	}

	// A backup, while the bot runs, opens and holds the same referral.
	backup := filepath.Join(dir, "copy.db")
	if _, errOut, code := runCmd(t, env, "", "backup", backup); code != 0 {
		t.Fatalf("backup: exit %d %s", code, errOut)
	}
	db, err := bolt.Open(backup)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	list, _ := db.Referrals(context.Background(), bot.ReferralFilter{})
	if len(list) != 1 || list[0].Number() != "R-000001" || list[0].City != "Казань" {
		t.Errorf("backup holds %+v", list)
	}
}

func TestReferralsCommandsOnAStoppedBot(t *testing.T) {
	env := map[string]string{"MIGRANTBOT_DB": filepath.Join(t.TempDir(), "bot.db")}
	out, errOut, code := runCmd(t, env, "", "referrals", "list")
	if code != 0 || out != "" || !strings.Contains(errOut, "0 referrals") {
		t.Errorf("empty list: %d %q %q", code, out, errOut)
	}
	if _, errOut, code := runCmd(t, env, "", "referrals", "list", "-status", "lost"); code != 2 || !strings.Contains(errOut, "want new, taken") {
		t.Errorf("bad status: %d %q", code, errOut)
	}
	if _, errOut, code := runCmd(t, env, "", "backup"); code != 2 || !strings.Contains(errOut, "FILE") {
		t.Errorf("backup without a file: %d %q", code, errOut)
	}
	if _, errOut, code := runCmd(t, map[string]string{"MIGRANTBOT_COORDINATOR_CHAT": "osh=abc"}, "/start\n", "chat"); code != 2 || !strings.Contains(errOut, "MIGRANTBOT_COORDINATOR_CHAT") {
		t.Errorf("bad coordinator chat: %d %q", code, errOut)
	}
}
