package telegram_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	faqfiles "migrantbot/faq"
	"migrantbot/internal/bolt"
	"migrantbot/internal/bot"
	"migrantbot/internal/faq"
	"migrantbot/internal/locale"
	"migrantbot/internal/match"
	"migrantbot/internal/telegram"
	"migrantbot/internal/telegram/telegramtest"
	"migrantbot/locales"
)

// syncBuffer is a log sink that tests can read while the bot writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// running is a bot serving the fake server over a real store.
type running struct {
	t      *testing.T
	srv    *telegramtest.Server
	path   string
	db     *bolt.DB
	tr     *telegram.Transport
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

var (
	knowOnce sync.Once
	know     *bot.Knowledge
)

func knowledge(t testing.TB) *bot.Knowledge {
	knowOnce.Do(func() {
		cat, problems := faq.Load(faqfiles.FS, "faq", time.Now())
		if err := faq.Err(problems); err != nil {
			t.Fatal(err)
		}
		know = &bot.Knowledge{Catalog: cat, Matcher: match.New(cat)}
	})
	return know
}

// testConfig talks to the fake server with short waits and no rate limits
// (the rate tests set their own).
func testConfig(srv *telegramtest.Server) telegram.Config {
	fast := telegram.Rate{Every: time.Microsecond, Burst: 1000}
	return telegram.Config{
		Token: telegramtest.Token, Endpoint: srv.Endpoint(),
		PollTimeout: time.Second, Backoff: 10 * time.Millisecond, Drain: 500 * time.Millisecond,
		PerChat: fast, Global: fast,
	}
}

func start(t *testing.T, srv *telegramtest.Server, path string, cfg telegram.Config, setup ...func(*bot.Bot)) *running {
	t.Helper()
	db, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := locale.Load(locales.FS, bot.Languages)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	b := bot.New(db, bot.NewLibrary(knowledge(t)), tr, log)
	for _, f := range setup {
		f(b)
	}
	transport, err := telegram.New(cfg, b, db, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{t: t, srv: srv, path: path, db: db, tr: transport, logs: logs, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- transport.Poll(ctx) }()
	t.Cleanup(func() { r.stop() })
	return r
}

// stop shuts the bot down as SIGTERM would and returns how long it took.
func (r *running) stop() time.Duration {
	if r.cancel == nil {
		return 0
	}
	began := time.Now()
	r.cancel()
	r.cancel = nil
	<-r.done
	took := time.Since(began)
	r.db.Close()
	return took
}

func wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func messages(t *testing.T, srv *telegramtest.Server, chat int64, n int) []telegramtest.Sent {
	t.Helper()
	msgs, err := srv.WaitMessages(chat, n, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func hasButton(m telegramtest.Sent, data string) bool {
	for _, row := range m.Buttons {
		for _, b := range row {
			if b.Data == data {
				return true
			}
		}
	}
	return false
}

func TestConversationInTelegram(t *testing.T) {
	srv := telegramtest.NewServer(t)
	user := telegramtest.User{ID: 501, Lang: "ru"}
	r := start(t, srv, filepath.Join(t.TempDir(), "bot.db"), testConfig(srv))

	srv.SendText(user, "/start qr_osh")
	m := messages(t, srv, user.ID, 1)[0]
	if m.ParseMode != "HTML" || !strings.Contains(m.Text, "Выберите язык") || !hasButton(m, "1:lang:ru") {
		t.Fatalf("language choice: %+v", m)
	}
	srv.PressButton(user, "1:lang:ru")
	m = messages(t, srv, user.ID, 2)[1]
	if !strings.Contains(m.Text, "О чём хотите узнать?") || !hasButton(m, "1:topic:stay") {
		t.Fatalf("menu: %+v", m)
	}
	srv.PressButton(user, "1:topic:stay")
	srv.PressButton(user, "1:entry:stay.patent")
	m = messages(t, srv, user.ID, 4)[3]
	if !strings.Contains(m.Text, "<b>Нужен ли патент гражданину Кыргызстана?</b>") {
		t.Errorf("answer: %q", m.Text)
	}
	srv.SendText(user, "каттоо канча кундо керек")
	if m = messages(t, srv, user.ID, 5)[4]; !strings.Contains(m.Text, "Нужно ли вставать на миграционный учёт?") {
		t.Errorf("typed question in a Russian session: %q", m.Text)
	}
	srv.SendSticker(user)
	if m = messages(t, srv, user.ID, 6)[5]; !strings.Contains(m.Text, "только текст") {
		t.Errorf("sticker: %q", m.Text)
	}
	srv.SendGroupText(user, -100777, "/start")
	srv.SendText(user, "/help")
	messages(t, srv, user.ID, 7)
	if got := srv.Messages(-100777); len(got) != 0 {
		t.Errorf("the bot answered in a group: %+v", got)
	}

	// The command menus are set in the background at start.
	wait(t, "both command menus", func() bool {
		n := 0
		for _, s := range srv.Sent() {
			if s.Method == "setMyCommands" {
				n++
			}
		}
		return n == 2
	})
	answered := 0
	var menus []string
	for _, s := range srv.Sent() {
		switch s.Method {
		case "answerCallbackQuery":
			answered++
		case "setMyCommands":
			menus = append(menus, s.Language)
			if !strings.Contains(s.Commands, `"command":"lang"`) {
				t.Errorf("command menu %s", s.Commands)
			}
		}
	}
	if answered != 3 {
		t.Errorf("%d button presses answered, want 3", answered)
	}
	if strings.Join(menus, ",") != "ky,ru" {
		t.Errorf("command menus for %v, want ky and ru", menus)
	}
	r.stop()
	db, _ := bolt.Open(r.path)
	defer db.Close()
	if s, _, _ := db.Session(context.Background(), user.ID); s.Source != "qr_osh" || s.Lang != "ru" {
		t.Errorf("session %+v", s)
	}
}

func TestRestartLosesNothingAndRepeatsNothing(t *testing.T) {
	srv := telegramtest.NewServer(t)
	path := filepath.Join(t.TempDir(), "bot.db")
	a, b := telegramtest.User{ID: 601, Lang: "ky"}, telegramtest.User{ID: 602, Lang: "ru"}

	// Run 1: Telegram takes no messages (502), so replies wait in the outbox.
	srv.Fail("sendMessage", 502, 0, 1000)
	r := start(t, srv, path, testConfig(srv))
	srv.SendText(a, "/start")
	srv.SendText(b, "/start")
	wait(t, "both updates confirmed", func() bool { return srv.Pending() == 0 && srv.Polls() >= 2 })
	r.stop()
	if n := len(srv.Messages(a.ID)) + len(srv.Messages(b.ID)); n != 0 {
		t.Fatalf("%d messages got through a failing Telegram", n)
	}

	// Run 2: Telegram is back; the waiting replies go out once, and a
	// message that arrived while the bot was down is answered.
	srv.ClearFailures()
	srv.SendText(a, "1") // a typed number: not a button press in Telegram
	srv2 := start(t, srv, path, testConfig(srv))
	messages(t, srv, a.ID, 2)
	messages(t, srv, b.ID, 1)
	srv2.stop()
	if got := len(srv.Messages(a.ID)); got != 2 {
		t.Errorf("user a got %d messages, want 2", got)
	}
	if got := len(srv.Messages(b.ID)); got != 1 {
		t.Errorf("user b got %d messages, want 1", got)
	}

	// Run 3: nothing new: nothing is sent again.
	r3 := start(t, srv, path, testConfig(srv))
	wait(t, "a poll", func() bool { return srv.Polls() >= 5 })
	r3.stop()
	if got := len(srv.Messages(a.ID)) + len(srv.Messages(b.ID)); got != 3 {
		t.Errorf("after a restart with nothing new: %d messages, want 3", got)
	}
}

func TestUpdateDeliveredAgainIsNotAnsweredTwice(t *testing.T) {
	srv := telegramtest.NewServer(t)
	path := filepath.Join(t.TempDir(), "bot.db")
	u := telegramtest.User{ID: 651, Lang: "ru"}
	r := start(t, srv, path, testConfig(srv))
	id := srv.SendText(u, "/start")
	messages(t, srv, u.ID, 1)
	r.stop()

	// The bot died after committing the update but before it saved the
	// offset: Telegram delivers the update again, with the same id.
	db, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetOffset(context.Background(), "telegram", 0)
	db.Close()
	srv.Redeliver(id)
	srv.SendText(u, "/help")
	r = start(t, srv, path, testConfig(srv))
	messages(t, srv, u.ID, 2)
	r.stop()
	if got := len(srv.Messages(u.ID)); got != 2 {
		t.Errorf("%d messages, want 2: the redelivered /start was answered again", got)
	}
	if !strings.Contains(r.logs.String(), `"outcome":"duplicate"`) {
		t.Errorf("no duplicate in the log: %s", r.logs.String())
	}
}

func TestRetriesAfter429And5xx(t *testing.T) {
	srv := telegramtest.NewServer(t)
	u := telegramtest.User{ID: 701, Lang: "ru"}
	start(t, srv, filepath.Join(t.TempDir(), "bot.db"), testConfig(srv))

	// 429 with retry_after: the message goes out after the wait.
	srv.Fail("sendMessage", 429, 1, 1)
	began := time.Now()
	srv.SendText(u, "/start")
	messages(t, srv, u.ID, 1)
	if waited := time.Since(began); waited < time.Second {
		t.Errorf("sent %v after a 429 with retry_after=1", waited)
	}
	// 5xx twice: retried.
	srv.Fail("sendMessage", 500, 0, 2)
	srv.SendText(u, "/help")
	messages(t, srv, u.ID, 2)
}

func TestRateLimits(t *testing.T) {
	srv := telegramtest.NewServer(t)
	u := telegramtest.User{ID: 711, Lang: "ru"}
	cfg := testConfig(srv)
	cfg.PerChat = telegram.Rate{Every: 200 * time.Millisecond, Burst: 1}
	cfg.Global = telegram.Rate{Every: 50 * time.Millisecond, Burst: 2}
	start(t, srv, filepath.Join(t.TempDir(), "bot.db"), cfg)
	began := time.Now()
	for i := 0; i < 4; i++ {
		srv.SendText(u, "/help")
	}
	messages(t, srv, u.ID, 4)
	if took := time.Since(began); took < 550*time.Millisecond {
		t.Errorf("4 messages to one chat in %v at 1 per 200 ms", took)
	}
	// Ten other chats at once: held to the global rate.
	began = time.Now()
	for i := 0; i < 10; i++ {
		srv.SendText(telegramtest.User{ID: int64(720 + i), Lang: "ru"}, "/help")
	}
	for i := 0; i < 10; i++ {
		messages(t, srv, int64(720+i), 1)
	}
	if took := time.Since(began); took < 350*time.Millisecond {
		t.Errorf("10 messages in %v at 1 per 50 ms overall, burst 2", took)
	}
}

func TestBlockedUserIsNotSentTo(t *testing.T) {
	srv := telegramtest.NewServer(t)
	u := telegramtest.User{ID: 801, Lang: "ru"}
	r := start(t, srv, filepath.Join(t.TempDir(), "bot.db"), testConfig(srv))
	srv.SendText(u, "/start")
	messages(t, srv, u.ID, 1)
	srv.Block(u.ID)
	srv.SendText(u, "/help")
	wait(t, "the block to be noticed", func() bool { return strings.Contains(r.logs.String(), "user blocked the bot") })
	r.stop()
	db, _ := bolt.Open(r.path)
	defer db.Close()
	if s, _, _ := db.Session(context.Background(), u.ID); !s.Blocked {
		t.Error("session not marked blocked")
	}
	if out, _ := db.Outbox(context.Background()); len(out) != 0 {
		t.Errorf("a reply to a blocked user waits in the outbox: %+v", out)
	}
}

// longReplies answers every event with a reply over Telegram's limit.
type longReplies struct{}

func (longReplies) Handle(_ context.Context, ev bot.Event) ([]bot.Reply, error) {
	para := strings.Repeat("слово ", 500) // 3000 characters
	text := "<b>" + strings.TrimSpace(para) + "</b>\n\n" + para + "\n\n" + para
	return []bot.Reply{{ChatID: ev.ChatID, Text: text, Buttons: [][]bot.Button{{{Label: "Меню", Data: "1:menu"}}}}}, nil
}

func (longReplies) Commands(string) []bot.Command { return nil }

// serve runs the transport over a stand-in for the conversation until the
// test ends, and returns its log.
func serve(t *testing.T, srv *telegramtest.Server, h telegram.Handler) *syncBuffer {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "bot.db"))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	tr, err := telegram.New(testConfig(srv), h, db, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { tr.Poll(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; db.Close() })
	return logs
}

func TestLongReplyIsSplitAtParagraphs(t *testing.T) {
	srv := telegramtest.NewServer(t)
	serve(t, srv, longReplies{})
	u := telegramtest.User{ID: 901}
	srv.SendText(u, "long")
	msgs := messages(t, srv, u.ID, 3)
	for i, m := range msgs {
		if n := len([]rune(m.Text)); n > 4096 || strings.HasPrefix(m.Text, "\n") {
			t.Errorf("part %d: %d characters", i, n)
		}
		if (len(m.Buttons) > 0) != (i == len(msgs)-1) {
			t.Errorf("part %d buttons: %v (only the last part has them)", i, m.Buttons)
		}
	}
	if !strings.HasSuffix(msgs[0].Text, "</b>") {
		t.Errorf("first part not cut at the paragraph: …%q", msgs[0].Text[len(msgs[0].Text)-20:])
	}
}

func TestShutdownDuringALongPollIsQuick(t *testing.T) {
	srv := telegramtest.NewServer(t)
	cfg := testConfig(srv)
	cfg.PollTimeout = 20 * time.Second
	r := start(t, srv, filepath.Join(t.TempDir(), "bot.db"), cfg)
	time.Sleep(300 * time.Millisecond) // the bot is now inside a 20 s long poll
	if took := r.stop(); took > 3*time.Second {
		t.Errorf("stopping took %v", took)
	}
}

func TestPollingWaitsWhileAWebhookIsSet(t *testing.T) {
	srv := telegramtest.NewServer(t)
	u := telegramtest.User{ID: 951, Lang: "ru"}
	r := start(t, srv, filepath.Join(t.TempDir(), "bot.db"), testConfig(srv))
	if err := r.tr.RegisterWebhook(context.Background(), telegram.Webhook{URL: "https://example.org/hook", Secret: "0123456789abcdef"}); err != nil {
		t.Fatal(err)
	}
	srv.SendText(u, "/start")
	wait(t, "a refused poll in the log", func() bool { return strings.Contains(r.logs.String(), "a webhook is set") })
	http.Post(srv.URL+"/bot"+telegramtest.Token+"/deleteWebhook", "application/json", nil)
	messages(t, srv, u.ID, 1)
}

func TestLogsHoldNoTextNorToken(t *testing.T) {
	srv := telegramtest.NewServer(t)
	u := telegramtest.User{ID: 961, Lang: "ru"}
	r := start(t, srv, filepath.Join(t.TempDir(), "bot.db"), testConfig(srv))
	srv.SendText(u, "/start")
	srv.SendText(u, "мой номер +79161234567 меня зовут Айгуль")
	messages(t, srv, u.ID, 2)
	r.stop()
	logs := r.logs.String()
	for _, secret := range []string{"79161234567", "Айгуль", telegramtest.Token} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
	var line struct {
		UpdateID int     `json:"update_id"`
		ChatID   int64   `json:"chat_id"`
		Kind     string  `json:"kind"`
		Latency  float64 `json:"latency_ms"`
		Outcome  string  `json:"outcome"`
	}
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, `"msg":"update"`) {
			json.Unmarshal([]byte(l), &line)
			break
		}
	}
	if line.UpdateID == 0 || line.ChatID != u.ID || line.Kind != "command" || line.Outcome != "ok" {
		t.Errorf("update log line: %+v", line)
	}
}

func TestManyChatsAtOnceKeepEachChatInOrder(t *testing.T) {
	srv := telegramtest.NewServer(t)
	start(t, srv, filepath.Join(t.TempDir(), "bot.db"), testConfig(srv))
	const users = 40
	for i := 0; i < users; i++ {
		u := telegramtest.User{ID: int64(2000 + i), Lang: "ru"}
		srv.SendText(u, "/start")
		srv.PressButton(u, "1:lang:ru")
		srv.SendText(u, "/help")
	}
	for i := 0; i < users; i++ {
		msgs := messages(t, srv, int64(2000+i), 3)
		if !strings.Contains(msgs[0].Text, "Выберите язык") || !strings.Contains(msgs[1].Text, "О чём") || !strings.Contains(msgs[2].Text, "/lang") {
			t.Fatalf("chat %d out of order: %q / %q / %q", 2000+i, msgs[0].Text[:20], msgs[1].Text[:20], msgs[2].Text[:20])
		}
	}
}

func TestWebhook(t *testing.T) {
	srv := telegramtest.NewServer(t)
	db, err := bolt.Open(filepath.Join(t.TempDir(), "bot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tr, _ := locale.Load(locales.FS, bot.Languages)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	transport, err := telegram.New(testConfig(srv), bot.New(db, bot.NewLibrary(knowledge(t)), tr, log), db, log)
	if err != nil {
		t.Fatal(err)
	}
	wh := telegram.Webhook{URL: "https://bot.example.org/tg/hook", Secret: "s3cret-s3cret-s3cret"}
	ctx, cancel := context.WithCancel(context.Background())
	handler, drain, err := transport.WebhookHandler(ctx, wh)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); drain() }()
	if err := transport.RegisterWebhook(ctx, wh); err != nil {
		t.Fatal(err)
	}
	hook := httptest.NewServer(handler)
	defer hook.Close()

	post := func(secret, body string) int {
		req, _ := http.NewRequest("POST", hook.URL+"/tg/hook", strings.NewReader(body))
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	update := `{"update_id":77,"message":{"message_id":1,"date":1,"chat":{"id":991,"type":"private"},"from":{"id":991,"is_bot":false,"first_name":"T","language_code":"ky"},"text":"/start"}}`
	if code := post("", update); code != http.StatusForbidden {
		t.Errorf("without the secret: %d", code)
	}
	if code := post("s3cret-s3cret-s3creX", update); code != http.StatusForbidden {
		t.Errorf("with a wrong secret: %d", code)
	}
	if code := post(wh.Secret, strings.Repeat(" ", 2<<20)+update); code != http.StatusBadRequest {
		t.Errorf("a body over the cap: %d", code)
	}
	if code := post(wh.Secret, update); code != http.StatusOK {
		t.Errorf("a good update: %d", code)
	}
	if code := post(wh.Secret, update); code != http.StatusOK {
		t.Errorf("the same update again: %d", code)
	}
	msgs := messages(t, srv, 991, 1)
	if !strings.Contains(msgs[0].Text, "Тилди тандаңыз") {
		t.Errorf("reply %q", msgs[0].Text)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(srv.Messages(991)); n != 1 {
		t.Errorf("an update posted twice was answered %d times", n)
	}
	var registered telegramtest.Sent
	for _, s := range srv.Sent() {
		if s.Method == "setWebhook" {
			registered = s
		}
	}
	if registered.WebhookURL != wh.URL || registered.SecretToken != wh.Secret {
		t.Errorf("setWebhook: %+v", registered)
	}
	resp, err := http.Get(hook.URL + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("healthz: %v %v", resp, err)
	}
}

func TestMalformedUpdatesAreSkippedNotRepeated(t *testing.T) {
	srv := telegramtest.NewServer(t)
	u := telegramtest.User{ID: 971, Lang: "ru"}
	r := start(t, srv, filepath.Join(t.TempDir(), "bot.db"), testConfig(srv))
	srv.PushRaw(`{"message":"not a message"}`)
	srv.PushRaw(`{"message":{"message_id":1,"date":1,"text":"no chat"}}`)
	srv.PushRaw(`{"callback_query":{"id":"c1","from":{"id":971,"is_bot":false,"first_name":"T"},"data":"1:menu"}}`)
	srv.PushRaw(`{"edited_message":{"message_id":2,"date":1,"chat":{"id":971,"type":"private"},"text":"edited"}}`)
	srv.SendText(u, "/start")
	msgs := messages(t, srv, u.ID, 2) // the button without a message, and /start
	if !strings.Contains(msgs[len(msgs)-1].Text, "Выберите язык") {
		t.Errorf("last reply %q", msgs[len(msgs)-1].Text)
	}
	wait(t, "all updates confirmed", func() bool { return srv.Pending() == 0 })
	if !strings.Contains(r.logs.String(), `"outcome":"malformed"`) {
		t.Errorf("no malformed update in the log: %s", r.logs.String())
	}
}

// badButtons answers with a button whose data Telegram refuses (over 64 bytes).
type badButtons struct{}

func (badButtons) Handle(_ context.Context, ev bot.Event) ([]bot.Reply, error) {
	return []bot.Reply{{ID: 0, ChatID: ev.ChatID, Text: "x", Buttons: [][]bot.Button{{{Label: "b", Data: strings.Repeat("d", 65)}}}}}, nil
}

func (badButtons) Commands(string) []bot.Command { return nil }

func TestARefusedReplyIsDroppedNotRetried(t *testing.T) {
	srv := telegramtest.NewServer(t)
	logs := serve(t, srv, badButtons{})
	srv.SendText(telegramtest.User{ID: 981}, "hi")
	wait(t, "the refusal in the log", func() bool {
		return strings.Contains(logs.String(), "Telegram refused a reply") && strings.Contains(logs.String(), "BUTTON_DATA_INVALID")
	})
	if n := len(srv.Messages(981)); n != 0 {
		t.Errorf("%d messages", n)
	}
}

// brokenStore stands in for a conversation whose store cannot commit.
type brokenStore struct{}

func (brokenStore) Handle(_ context.Context, ev bot.Event) ([]bot.Reply, error) {
	return []bot.Reply{{ChatID: ev.ChatID, Text: "sorry"}}, io.ErrUnexpectedEOF
}

func (brokenStore) Commands(string) []bot.Command { return nil }

func TestWebhookAsksTelegramAgainWhenAnUpdateIsNotCommitted(t *testing.T) {
	srv := telegramtest.NewServer(t)
	db, err := bolt.Open(filepath.Join(t.TempDir(), "bot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tr, err := telegram.New(testConfig(srv), brokenStore{}, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	wh := telegram.Webhook{URL: "https://bot.example.org/hook", Secret: "s3cret-s3cret-s3cret"}
	ctx, cancel := context.WithCancel(context.Background())
	handler, drain, err := tr.WebhookHandler(ctx, wh)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); drain() }()
	req := httptest.NewRequest("POST", "/hook", strings.NewReader(`{"update_id":5,"message":{"message_id":1,"date":1,"chat":{"id":992,"type":"private"},"from":{"id":992,"is_bot":false,"first_name":"T"},"text":"hi"}}`))
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", wh.Secret)
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("an update that was not committed answered %d; Telegram would not post it again", rec.Code)
	}
}
