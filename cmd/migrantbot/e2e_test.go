package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// emulator starts telegram-test-api, an independent Bot API emulator (e2e/),
// on a free port of 127.0.0.1, installing it first if needed. Without node
// the test is skipped; .ci/run sets MIGRANTBOT_E2E=required, and then a
// missing emulator fails it.
func emulator(t *testing.T) string {
	t.Helper()
	required := os.Getenv("MIGRANTBOT_E2E") == "required"
	missing := func(why string) {
		if required {
			t.Fatalf("the emulator is required (MIGRANTBOT_E2E=required) but %s", why)
		}
		t.Skip(why)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	dir, _ := filepath.Abs(filepath.Join("..", "..", "e2e"))
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "telegram-test-api")); err != nil {
		// The version is pinned in e2e/package-lock.json.
		if out, err := exec.Command("npm", "ci", "--prefix", dir, "--no-audit", "--no-fund").CombinedOutput(); err != nil {
			missing(fmt.Sprintf("npm ci --prefix e2e failed: %v\n%s", err, out))
		}
	}
	addr := freeAddr(t)
	port := addr[strings.LastIndex(addr, ":")+1:]
	cmd := exec.Command(node, filepath.Join(dir, "server.js"), port)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "ready" {
				ready <- true
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(15 * time.Second):
		t.Fatal("the emulator did not start")
	}
	return "http://" + addr
}

// emuUser is a user of the emulator, in a private chat with the bot.
type emuUser struct {
	t           *testing.T
	base, token string
	id          int64
	lang        string
}

type emuMessage struct {
	Text        string `json:"text"`
	ChatID      any    `json:"chat_id"`
	ReplyMarkup struct {
		InlineKeyboard [][]struct {
			Text string `json:"text"`
			Data string `json:"callback_data"`
		} `json:"inline_keyboard"`
	} `json:"reply_markup"`
}

func (u emuUser) post(path string, body any) []byte {
	u.t.Helper()
	data, _ := json.Marshal(body)
	resp, err := http.Post(u.base+path, "application/json", bytes.NewReader(data))
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		u.t.Fatalf("%s: %d %s", path, resp.StatusCode, buf.String())
	}
	return buf.Bytes()
}

func (u emuUser) message(text string) map[string]any {
	return map[string]any{
		"botToken": u.token, "date": time.Now().Unix(), "text": text,
		"from": map[string]any{"id": u.id, "first_name": "Test", "is_bot": false, "language_code": u.lang},
		"chat": map[string]any{"id": u.id, "first_name": "Test", "type": "private"},
	}
}

func (u emuUser) command(text string) {
	m := u.message(text)
	m["entities"] = []map[string]any{{"offset": 0, "length": len(strings.Fields(text)[0]), "type": "bot_command"}}
	u.post("/sendCommand", m)
}

func (u emuUser) text(text string) { u.post("/sendMessage", u.message(text)) }

func (u emuUser) press(data string) {
	m := u.message("")
	u.post("/sendCallback", map[string]any{"botToken": u.token, "date": time.Now().Unix(), "from": m["from"], "message": m, "data": data})
}

// replies waits until the bot has sent the user n messages and returns them.
func (u emuUser) replies(n int) []emuMessage {
	u.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var history struct {
			Result []struct {
				Message emuMessage `json:"message"`
			} `json:"result"`
		}
		json.Unmarshal(u.post("/getUpdatesHistory", map[string]any{"token": u.token}), &history)
		var mine []emuMessage
		for _, h := range history.Result {
			if fmt.Sprint(h.Message.ChatID) == fmt.Sprint(u.id) {
				mine = append(mine, h.Message)
			}
		}
		if len(mine) >= n {
			return mine
		}
		if time.Now().After(deadline) {
			u.t.Fatalf("user %d: %d bot messages, want %d", u.id, len(mine), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (m emuMessage) button(label string) string {
	for _, row := range m.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if strings.Contains(b.Text, label) {
				return b.Data
			}
		}
	}
	return ""
}

func TestEndToEndWithTheTelegramTestAPIEmulator(t *testing.T) {
	base := emulator(t)
	bin := binary(t)
	const token = "42:E2E-TOKEN"
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": token, "MIGRANTBOT_API_ENDPOINT": base + "/bot%s/%s",
		"MIGRANTBOT_LISTEN": freeAddr(t), "MIGRANTBOT_DB": filepath.Join(t.TempDir(), "bot.db"),
	}
	cmd := startBinary(t, bin, env)

	ky := emuUser{t: t, base: base, token: token, id: 1001, lang: "ky"}
	ru := emuUser{t: t, base: base, token: token, id: 1002, lang: "ru"}

	ky.command("/start qr_bishkek")
	m := ky.replies(1)[0]
	if !strings.Contains(m.Text, "Тилди тандаңыз") || m.button("Кыргызча") == "" {
		t.Fatalf("language choice: %+v", m)
	}
	ky.press(m.button("Кыргызча"))
	m = ky.replies(2)[1]
	if !strings.Contains(m.Text, "Эмне тууралуу билгиңиз келет") {
		t.Fatalf("Kyrgyz menu: %q", m.Text)
	}
	ky.press(m.button("Орусияда жүрүү"))
	m = ky.replies(3)[2]
	ky.press(m.button("патент"))
	if m = ky.replies(4)[3]; !strings.Contains(m.Text, "<b>Кыргызстандын жаранына патент керекпи?</b>") {
		t.Errorf("answer: %q", m.Text)
	}
	ky.text("kattoo kerekpi")
	if m = ky.replies(5)[4]; !strings.Contains(m.Text, "Миграциялык каттоодон өтүү керекпи?") {
		t.Errorf("typed question: %q", m.Text)
	}

	ru.command("/start")
	ru.press(ru.replies(1)[0].button("Русский"))
	ru.text("не платят зарплату, куда жаловаться")
	if m = ru.replies(3)[2]; !strings.Contains(m.Text, "Не платят зарплату или обманул работодатель") {
		t.Errorf("Russian typed question: %q", m.Text)
	}

	began := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil || time.Since(began) > 3*time.Second {
		t.Errorf("stop: %v after %v", err, time.Since(began))
	}
}
