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

// pressIn presses a button under a message in a group, as a group member.
func (u emuUser) pressIn(group int64, data string) {
	m := u.message("")
	m["chat"] = map[string]any{"id": group, "title": "Coordinators", "type": "supergroup"}
	u.post("/sendCallback", map[string]any{"botToken": u.token, "date": time.Now().Unix(), "from": m["from"], "message": m, "data": data})
}

func TestEndToEndReferralsWithTheEmulator(t *testing.T) {
	base := emulator(t)
	bin := binary(t)
	const token, group = "43:E2E-REFERRALS", -100700
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": token, "MIGRANTBOT_API_ENDPOINT": base + "/bot%s/%s",
		"MIGRANTBOT_LISTEN": freeAddr(t), "MIGRANTBOT_ADMIN_LISTEN": "127.0.0.1:0", "MIGRANTBOT_DB": filepath.Join(t.TempDir(), "bot.db"),
		"MIGRANTBOT_COORDINATORS": "2001", "MIGRANTBOT_COORDINATOR_CHAT": fmt.Sprint(group),
	}
	startBinary(t, bin, env)
	users := []emuUser{
		{t: t, base: base, token: token, id: 1101, lang: "ru"},
		{t: t, base: base, token: token, id: 1102, lang: "ky"},
	}
	coord := emuUser{t: t, base: base, token: token, id: 2001, lang: "ru"}
	stranger := emuUser{t: t, base: base, token: token, id: 2002, lang: "ru"}
	groupView := emuUser{t: t, base: base, token: token, id: group}

	// Both users fill the form at the same time, step by step.
	lang := []string{"Русский", "Кыргызча"}
	person := []string{"Связаться с человеком", "Адам менен"}
	agree := []string{"Согласен", "Макулмун"}
	send := []string{"Отправить", "Жөнөтүү"}
	for _, u := range users {
		u.command("/start")
	}
	for i, u := range users {
		u.press(u.replies(1)[0].button(lang[i]))
	}
	last := func(u emuUser, n int) emuMessage { return u.replies(n)[n-1] }
	for i, u := range users {
		u.press(last(u, 2).button(person[i]))
	}
	for _, u := range users {
		u.press(last(u, 3).ReplyMarkup.InlineKeyboard[0][0].Data) // Bishkek
	}
	for _, u := range users {
		u.press(last(u, 4).ReplyMarkup.InlineKeyboard[0][0].Data) // the first topic
	}
	for i, u := range users {
		u.press(last(u, 5).button(agree[i]))
	}
	for i, u := range users {
		last(u, 6)
		u.text(fmt.Sprintf("описание %d", i))
	}
	for i, u := range users {
		last(u, 7)
		u.text([]string{"Москва", "Казань"}[i])
	}
	for _, u := range users {
		last(u, 9)
		u.text("+7 900 000 00 0" + fmt.Sprint(u.id%10))
	}
	for i, u := range users {
		u.press(last(u, 11).button(send[i]))
	}
	numbers := map[string]bool{}
	for _, u := range users {
		m := last(u, 12)
		i := strings.Index(m.Text, "R-")
		if i < 0 {
			t.Fatalf("no number: %q", m.Text)
		}
		numbers[m.Text[i:i+8]] = true
	}
	if len(numbers) != 2 {
		t.Errorf("numbers %v", numbers)
	}

	// The coordinators' posts; a stranger cannot act, a coordinator can.
	posts := groupView.replies(2)
	stranger.command("/referrals")
	if m := stranger.replies(1)[0]; !strings.Contains(m.Text, "команды я не знаю") {
		t.Errorf("stranger's /referrals: %q", m.Text)
	}
	take := posts[0].button("Взял")
	stranger.pressIn(group, take)
	time.Sleep(200 * time.Millisecond)
	coord.pressIn(group, take)
	var owner emuUser
	for _, u := range users {
		if strings.Contains(posts[0].Text, fmt.Sprintf("tg://user?id=%d", u.id)) {
			owner = u
		}
	}
	status := last(owner, 13)
	if !strings.Contains(status.Text, "принято в работу") && !strings.Contains(status.Text, "кабыл алды") {
		t.Errorf("status message: %q", status.Text)
	}
	owner.command("/myrequests")
	if m := last(owner, 14); !strings.Contains(m.Text, "R-0000") {
		t.Errorf("/myrequests: %q", m.Text)
	}
	owner.command("/forget")
	owner.press(last(owner, 15).ReplyMarkup.InlineKeyboard[0][0].Data)
	if m := last(owner, 16); !strings.Contains(m.Text, "удалены") && !strings.Contains(m.Text, "өчүрүлдү") {
		t.Errorf("/forget: %q", m.Text)
	}
}
