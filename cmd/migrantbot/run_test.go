package main

import (
	"bytes"
	"context"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	faqfiles "migrantbot/faq"
	"migrantbot/internal/telegram/telegramtest"
)

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestRunNeedsATokenAndAWebhookSecret(t *testing.T) {
	_, errOut, code := runCmd(t, map[string]string{}, "", "run")
	if code != 2 || !strings.Contains(errOut, "TELEGRAM_BOT_TOKEN") {
		t.Errorf("no token: exit %d %q", code, errOut)
	}
	_, errOut, code = runCmd(t, map[string]string{"TELEGRAM_BOT_TOKEN": "x", "MIGRANTBOT_WEBHOOK_URL": "https://a.b/hook"}, "", "run")
	if code != 2 || !strings.Contains(errOut, "MIGRANTBOT_WEBHOOK_SECRET") {
		t.Errorf("webhook without a secret: exit %d %q", code, errOut)
	}
	srv := telegramtest.NewServer(t)
	_, errOut, code = runCmd(t, map[string]string{"TELEGRAM_BOT_TOKEN": "wrong", "MIGRANTBOT_API_ENDPOINT": srv.Endpoint(), "MIGRANTBOT_LISTEN": freeAddr(t)}, "", "run")
	if code != 1 || !strings.Contains(errOut, "connect to Telegram: Unauthorized") || strings.Contains(errOut, "wrong") {
		t.Errorf("a wrong token: exit %d %q", code, errOut)
	}
}

func TestRunServesTelegramAndHealth(t *testing.T) {
	srv := telegramtest.NewServer(t)
	addr := freeAddr(t)
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": telegramtest.Token, "MIGRANTBOT_API_ENDPOINT": srv.Endpoint(),
		"MIGRANTBOT_LISTEN": addr, "MIGRANTBOT_DB": filepath.Join(t.TempDir(), "bot.db"),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var errOut bytes.Buffer
	go func() {
		done <- run(ctx, []string{"run", "-poll-timeout", "1s"}, func(k string) string { return env[k] }, strings.NewReader(""), &bytes.Buffer{}, &errOut)
	}()
	u := telegramtest.User{ID: 42, Lang: "ky"}
	srv.SendText(u, "/start")
	msgs, err := srv.WaitMessages(u.ID, 1, 10*time.Second)
	if err != nil || !strings.Contains(msgs[0].Text, "Тилди тандаңыз") {
		t.Fatalf("%v %+v", err, msgs)
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("healthz: %v %v", resp, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
	if strings.Contains(errOut.String(), telegramtest.Token) {
		t.Error("the token is in the log")
	}
}

// binary builds migrantbot once for the tests that run it as a process.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	path := filepath.Join(t.TempDir(), "migrantbot")
	out, err := exec.Command("go", "build", "-o", path, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return path
}

func startBinary(t *testing.T, bin string, env map[string]string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "run")
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("bot log:\n%s", logs.String())
		}
	})
	return cmd
}

func TestSIGTERMDuringALongPollStopsWithin3Seconds(t *testing.T) {
	bin := binary(t)
	srv := telegramtest.NewServer(t)
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": telegramtest.Token, "MIGRANTBOT_API_ENDPOINT": srv.Endpoint(),
		"MIGRANTBOT_LISTEN": freeAddr(t), "MIGRANTBOT_DB": filepath.Join(t.TempDir(), "bot.db"),
	}
	cmd := startBinary(t, bin, env)
	u := telegramtest.User{ID: 43, Lang: "ru"}
	srv.SendText(u, "/start")
	if _, err := srv.WaitMessages(u.ID, 1, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // now inside a 25 s long poll
	began := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	if took := time.Since(began); took > 3*time.Second {
		t.Errorf("stopped after %v", took)
	}
	if err != nil {
		t.Errorf("exit: %v", err)
	}
}

func TestKill9BetweenAnUpdateAndItsReply(t *testing.T) {
	bin := binary(t)
	srv := telegramtest.NewServer(t)
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": telegramtest.Token, "MIGRANTBOT_API_ENDPOINT": srv.Endpoint(),
		"MIGRANTBOT_LISTEN": freeAddr(t), "MIGRANTBOT_DB": filepath.Join(t.TempDir(), "bot.db"),
	}
	// Telegram takes no messages: the bot commits the updates, then cannot reply.
	srv.Fail("sendMessage", 502, 0, 100000)
	cmd := startBinary(t, bin, env)
	users := []telegramtest.User{{ID: 44, Lang: "ru"}, {ID: 45, Lang: "ky"}}
	for _, u := range users {
		srv.SendText(u, "/start")
	}
	deadline := time.Now().Add(10 * time.Second)
	for srv.Pending() > 0 { // the next poll confirmed them: the bot committed them and saved the offset
		if time.Now().After(deadline) {
			t.Fatal("the updates were not confirmed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Kill() // kill -9
	cmd.Wait()

	srv.ClearFailures()
	startBinary(t, bin, env)
	for _, u := range users {
		if _, err := srv.WaitMessages(u.ID, 1, 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(500 * time.Millisecond)
	for _, u := range users {
		if n := len(srv.Messages(u.ID)); n != 1 {
			t.Errorf("user %d got %d replies, want exactly 1", u.ID, n)
		}
	}
}

// copyFAQ writes the embedded FAQ to a directory staff could edit.
func copyFAQ(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	err := fs.WalkDir(faqfiles.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		data, _ := faqfiles.FS.ReadFile(p)
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		return os.WriteFile(filepath.Join(dir, p), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRunTellsCoordinatorsOfARefusedFAQEdit(t *testing.T) {
	srv := telegramtest.NewServer(t)
	faqDir := copyFAQ(t)
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": telegramtest.Token, "MIGRANTBOT_API_ENDPOINT": srv.Endpoint(),
		"MIGRANTBOT_LISTEN": freeAddr(t), "MIGRANTBOT_ADMIN_LISTEN": "127.0.0.1:0",
		"MIGRANTBOT_DB": filepath.Join(t.TempDir(), "bot.db"), "MIGRANTBOT_FAQ_DIR": faqDir,
		"MIGRANTBOT_COORDINATOR_CHAT": "-100900",
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"run", "-poll-timeout", "1s"}, func(k string) string { return env[k] }, strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	}()
	defer func() { cancel(); <-done }()
	u := telegramtest.User{ID: 46, Lang: "ru"}
	srv.SendText(u, "/start")
	if _, err := srv.WaitMessages(u.ID, 1, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(faqDir, "stay", "patent.yaml"), []byte("id: stay.patent\nreviewed: [\n"), 0o644)
	msgs, err := srv.WaitMessages(-100900, 1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msgs[0].Text, "Изменение файлов FAQ не принято") || !strings.Contains(msgs[0].Text, "stay/patent.yaml:") {
		t.Errorf("notice: %q", msgs[0].Text)
	}
	// The last good FAQ still answers.
	srv.SendText(u, "патент керекпи")
	if msgs, err := srv.WaitMessages(u.ID, 2, 10*time.Second); err != nil || !strings.Contains(msgs[1].Text, "патент") {
		t.Errorf("after the refused edit: %v %+v", err, msgs)
	}
}
