// Package telegramtest is a fake Telegram Bot API server for tests, written
// to Telegram's documented behaviour: long polling with a timeout and
// confirmation by offset, 429 with retry_after, 403 for a user who blocked
// the bot, 400 for text over 4096 characters, button data over 64 bytes or
// HTML that does not parse, and 409 for getUpdates while a webhook is set.
// It listens on 127.0.0.1 only.
package telegramtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Token is the only token the server accepts.
const Token = "123456:TEST-TOKEN"

// Sent is a call the bot made that sends something to a user.
type Sent struct {
	Method      string
	ChatID      int64
	MessageID   int // editMessageText: the message edited
	Text        string
	Document    string // sendDocument: the file's name
	Data        []byte // sendDocument: the file
	Keyboard    string // sendMessage: a reply keyboard, as JSON
	ParseMode   string
	Buttons     [][]Button
	CallbackID  string
	Commands    string // setMyCommands: the commands as JSON
	Language    string // setMyCommands: language_code
	WebhookURL  string
	SecretToken string
}

// Button is an inline button of a sent message.
type Button struct {
	Text string `json:"text"`
	Data string `json:"callback_data"`
}

type failure struct {
	code       int
	retryAfter int
}

// Server is a fake Bot API.
type Server struct {
	*httptest.Server

	mu        sync.Mutex
	updates   []json.RawMessage // not yet confirmed, in order
	updateIDs []int
	history   map[int]json.RawMessage
	nextID    int
	nextMsg   int
	sent      []Sent
	failures  map[string][]failure
	blocked   map[int64]bool
	webhook   string
	polls     int
	wake      chan struct{} // closed and replaced when an update arrives
}

// NewServer starts a fake Bot API; it stops when the test ends.
func NewServer(t interface{ Cleanup(func()) }) *Server {
	s := &Server{nextID: 1, nextMsg: 1, failures: map[string][]failure{}, blocked: map[int64]bool{}, history: map[int]json.RawMessage{}, wake: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Endpoint is the API endpoint for the bot, in the library's format.
func (s *Server) Endpoint() string { return s.URL + "/bot%s/%s" }

// User is a simulated Telegram user in a private chat.
type User struct {
	ID   int64
	Lang string // language_code
}

// SendText queues a message from the user; it returns its update id.
func (s *Server) SendText(u User, text string) int {
	msg := s.message(u, u.ID, "private", text)
	if strings.HasPrefix(text, "/") {
		name := strings.SplitN(text, " ", 2)[0]
		msg["entities"] = []map[string]any{{"type": "bot_command", "offset": 0, "length": len(name)}}
	}
	return s.push(map[string]any{"message": msg})
}

// SendSticker queues a message with no text.
func (s *Server) SendSticker(u User) int {
	msg := s.message(u, u.ID, "private", "")
	delete(msg, "text")
	msg["sticker"] = map[string]any{"file_id": "sticker", "file_unique_id": "s", "width": 512, "height": 512, "is_animated": false}
	return s.push(map[string]any{"message": msg})
}

// SendGroupText queues a message in a group chat.
func (s *Server) SendGroupText(u User, groupID int64, text string) int {
	return s.push(map[string]any{"message": s.message(u, groupID, "group", text)})
}

// PressButton queues a press of a button with the given data.
func (s *Server) PressButton(u User, data string) int {
	s.mu.Lock()
	cbID := fmt.Sprintf("cb%d", s.nextID)
	s.mu.Unlock()
	return s.push(map[string]any{"callback_query": map[string]any{
		"id": cbID, "from": user(u), "chat_instance": "ci", "data": data,
		"message": map[string]any{"message_id": 1, "date": time.Now().Unix(), "chat": map[string]any{"id": u.ID, "type": "private"}},
	}})
}

// PushRaw queues an update given as JSON without its update_id.
func (s *Server) PushRaw(update string) int {
	var m map[string]any
	if err := json.Unmarshal([]byte(update), &m); err != nil {
		panic(err)
	}
	return s.push(m)
}

func user(u User) map[string]any {
	return map[string]any{"id": u.ID, "is_bot": false, "first_name": "Test", "language_code": u.Lang}
}

func (s *Server) message(u User, chatID int64, chatType, text string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextMsg++
	return map[string]any{
		"message_id": s.nextMsg, "date": time.Now().Unix(), "from": user(u),
		"chat": map[string]any{"id": chatID, "type": chatType}, "text": text,
	}
}

func (s *Server) push(update map[string]any) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextID
	s.nextID++
	update["update_id"] = id
	raw, _ := json.Marshal(update)
	s.history[id] = raw
	s.queue(id, raw)
	return id
}

// Redeliver queues an update again with its own id, as Telegram does when
// the bot did not confirm it.
func (s *Server) Redeliver(updateID int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue(updateID, s.history[updateID])
}

func (s *Server) queue(id int, raw json.RawMessage) {
	s.updates = append(s.updates, raw)
	s.updateIDs = append(s.updateIDs, id)
	close(s.wake)
	s.wake = make(chan struct{})
}

// Fail makes the next n calls of method fail with code (and retry_after
// seconds for 429).
func (s *Server) Fail(method string, code, retryAfter, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < n; i++ {
		s.failures[method] = append(s.failures[method], failure{code, retryAfter})
	}
}

// ClearFailures drops the failures still waiting to happen.
func (s *Server) ClearFailures() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = map[string][]failure{}
}

// Block makes the user's chat answer 403, as when they blocked the bot.
func (s *Server) Block(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked[chatID] = true
}

// Sent returns the calls made so far that sent something, oldest first;
// with a chat id, only those to that chat.
func (s *Server) Sent(chatID ...int64) []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Sent
	for _, m := range s.sent {
		if len(chatID) == 0 || m.ChatID == chatID[0] {
			out = append(out, m)
		}
	}
	return out
}

// Messages returns the texts sent to a chat by sendMessage.
func (s *Server) Messages(chatID int64) []Sent {
	var out []Sent
	for _, m := range s.Sent(chatID) {
		if m.Method == "sendMessage" {
			out = append(out, m)
		}
	}
	return out
}

// WaitMessages waits until a chat has at least n messages and returns them.
func (s *Server) WaitMessages(chatID int64, n int, timeout time.Duration) ([]Sent, error) {
	deadline := time.Now().Add(timeout)
	for {
		msgs := s.Messages(chatID)
		if len(msgs) >= n {
			return msgs, nil
		}
		if time.Now().After(deadline) {
			return msgs, fmt.Errorf("chat %d: %d messages after %v, want %d", chatID, len(msgs), timeout, n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Pending is how many updates the bot has not confirmed yet.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

// Polls is how many getUpdates calls the server answered.
func (s *Server) Polls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.polls
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/bot"), "/")
	if len(parts) != 2 || parts[0] != Token {
		reply(w, http.StatusUnauthorized, nil, "Unauthorized", 0)
		return
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(10 << 20); err != nil {
			reply(w, http.StatusBadRequest, nil, "Bad Request: "+err.Error(), 0)
			return
		}
	} else if err := r.ParseForm(); err != nil {
		reply(w, http.StatusBadRequest, nil, "Bad Request: "+err.Error(), 0)
		return
	}
	method := parts[1]
	if f, ok := s.takeFailure(method); ok {
		if f.code == http.StatusBadGateway { // the proxy in front answers, in HTML
			w.WriteHeader(f.code)
			fmt.Fprint(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
			return
		}
		desc := map[int]string{429: "Too Many Requests: retry after " + strconv.Itoa(f.retryAfter), 403: "Forbidden", 500: "Internal Server Error", 502: "Bad Gateway"}[f.code]
		reply(w, f.code, nil, desc, f.retryAfter)
		return
	}
	switch method {
	case "getMe":
		reply(w, http.StatusOK, map[string]any{"id": 1, "is_bot": true, "first_name": "Migrantbot", "username": "migrant_test_bot"}, "", 0)
	case "getUpdates":
		s.getUpdates(w, r)
	case "sendMessage":
		s.sendMessage(w, r)
	case "editMessageText":
		s.editMessageText(w, r)
	case "sendDocument":
		s.sendDocument(w, r)
	case "answerCallbackQuery":
		s.record(Sent{Method: method, CallbackID: r.Form.Get("callback_query_id")})
		reply(w, http.StatusOK, true, "", 0)
	case "setMyCommands":
		s.record(Sent{Method: method, Commands: r.Form.Get("commands"), Language: r.Form.Get("language_code")})
		reply(w, http.StatusOK, true, "", 0)
	case "setWebhook":
		s.mu.Lock()
		s.webhook = r.Form.Get("url")
		s.mu.Unlock()
		s.record(Sent{Method: method, WebhookURL: r.Form.Get("url"), SecretToken: r.Form.Get("secret_token")})
		reply(w, http.StatusOK, true, "", 0)
	case "deleteWebhook":
		s.mu.Lock()
		s.webhook = ""
		s.mu.Unlock()
		reply(w, http.StatusOK, true, "", 0)
	default:
		reply(w, http.StatusNotFound, nil, "Not Found: method not found", 0)
	}
}

func (s *Server) takeFailure(method string) (failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failures[method]) == 0 {
		return failure{}, false
	}
	f := s.failures[method][0]
	s.failures[method] = s.failures[method][1:]
	return f, true
}

func (s *Server) record(m Sent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, m)
}

// getUpdates confirms updates below offset, then returns the rest, waiting
// up to timeout seconds for one to arrive.
func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request) {
	offset, _ := strconv.Atoi(r.Form.Get("offset"))
	limit, _ := strconv.Atoi(r.Form.Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, _ := strconv.Atoi(r.Form.Get("timeout"))
	deadline := time.After(time.Duration(timeout) * time.Second)
	for {
		s.mu.Lock()
		if s.webhook != "" {
			s.mu.Unlock()
			reply(w, http.StatusConflict, nil, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first", 0)
			return
		}
		kept := 0 // confirmed updates go; a redelivered one may sit behind newer ones
		for i, id := range s.updateIDs {
			if id >= offset {
				s.updates[kept], s.updateIDs[kept] = s.updates[i], id
				kept++
			}
		}
		s.updates, s.updateIDs = s.updates[:kept], s.updateIDs[:kept]
		if len(s.updates) > 0 || timeout == 0 {
			batch := s.updates[:min(limit, len(s.updates))]
			s.polls++
			s.mu.Unlock()
			reply(w, http.StatusOK, batch, "", 0)
			return
		}
		wake := s.wake
		s.mu.Unlock()
		select {
		case <-wake:
		case <-deadline:
			timeout = 0
		case <-r.Context().Done():
			return
		}
	}
}

var (
	tagPattern     = regexp.MustCompile(`<(/?)([a-z]+)[^>]*>`)
	allowedTags    = map[string]bool{"b": true, "i": true, "u": true, "s": true, "a": true, "code": true, "pre": true}
	entityPattern  = regexp.MustCompile(`&(amp|lt|gt|quot|#\d+);`)
	strayAmpersand = regexp.MustCompile(`&`)
)

func (s *Server) sendMessage(w http.ResponseWriter, r *http.Request) {
	chatID, _ := strconv.ParseInt(r.Form.Get("chat_id"), 10, 64)
	text, mode := r.Form.Get("text"), r.Form.Get("parse_mode")
	s.mu.Lock()
	blocked := s.blocked[chatID]
	s.mu.Unlock()
	if blocked {
		reply(w, http.StatusForbidden, nil, "Forbidden: bot was blocked by the user", 0)
		return
	}
	visible := text
	if mode == "HTML" {
		if err := checkHTML(text); err != "" {
			reply(w, http.StatusBadRequest, nil, "Bad Request: can't parse entities: "+err, 0)
			return
		}
		visible = tagPattern.ReplaceAllString(text, "")
		visible = entityPattern.ReplaceAllString(visible, "x")
	}
	if n := utf8.RuneCountInString(visible); n == 0 || n > 4096 {
		reply(w, http.StatusBadRequest, nil, "Bad Request: message is too long", 0)
		return
	}
	var buttons [][]Button
	var keyboard string
	if markup := r.Form.Get("reply_markup"); markup != "" && !strings.Contains(markup, "inline_keyboard") {
		keyboard = markup // a reply keyboard, or its removal
	} else if markup != "" {
		var kb struct {
			InlineKeyboard [][]Button `json:"inline_keyboard"`
		}
		if err := json.Unmarshal([]byte(markup), &kb); err != nil {
			reply(w, http.StatusBadRequest, nil, "Bad Request: can't parse reply keyboard markup JSON object", 0)
			return
		}
		for _, row := range kb.InlineKeyboard {
			for _, b := range row {
				if len(b.Data) == 0 || len(b.Data) > 64 {
					reply(w, http.StatusBadRequest, nil, "Bad Request: BUTTON_DATA_INVALID", 0)
					return
				}
			}
		}
		buttons = kb.InlineKeyboard
	}
	s.mu.Lock()
	s.nextMsg++
	id := s.nextMsg
	s.sent = append(s.sent, Sent{Method: "sendMessage", ChatID: chatID, MessageID: id, Text: text, ParseMode: mode, Buttons: buttons, Keyboard: keyboard})
	s.mu.Unlock()
	reply(w, http.StatusOK, map[string]any{"message_id": id, "date": time.Now().Unix(), "chat": map[string]any{"id": chatID, "type": "private"}, "text": text}, "", 0)
}

func (s *Server) editMessageText(w http.ResponseWriter, r *http.Request) {
	chatID, _ := strconv.ParseInt(r.Form.Get("chat_id"), 10, 64)
	msgID, _ := strconv.Atoi(r.Form.Get("message_id"))
	text := r.Form.Get("text")
	if err := checkHTML(text); err != "" {
		reply(w, http.StatusBadRequest, nil, "Bad Request: can't parse entities: "+err, 0)
		return
	}
	var kb struct {
		InlineKeyboard [][]Button `json:"inline_keyboard"`
	}
	json.Unmarshal([]byte(r.Form.Get("reply_markup")), &kb)
	s.mu.Lock()
	for i := len(s.sent) - 1; i >= 0; i-- {
		m := s.sent[i]
		if (m.Method == "sendMessage" || m.Method == "editMessageText") && m.ChatID == chatID && m.MessageID == msgID {
			if m.Text == text {
				s.mu.Unlock()
				reply(w, http.StatusBadRequest, nil, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same", 0)
				return
			}
			break
		}
	}
	s.sent = append(s.sent, Sent{Method: "editMessageText", ChatID: chatID, MessageID: msgID, Text: text, ParseMode: r.Form.Get("parse_mode"), Buttons: kb.InlineKeyboard})
	s.mu.Unlock()
	reply(w, http.StatusOK, map[string]any{"message_id": msgID, "date": time.Now().Unix(), "chat": map[string]any{"id": chatID, "type": "group"}, "text": text}, "", 0)
}

func (s *Server) sendDocument(w http.ResponseWriter, r *http.Request) {
	chatID, _ := strconv.ParseInt(r.FormValue("chat_id"), 10, 64)
	file, header, err := r.FormFile("document")
	if err != nil {
		reply(w, http.StatusBadRequest, nil, "Bad Request: there is no document in the request", 0)
		return
	}
	defer file.Close()
	var data bytes.Buffer
	data.ReadFrom(file)
	s.mu.Lock()
	s.nextMsg++
	id := s.nextMsg
	s.sent = append(s.sent, Sent{Method: "sendDocument", ChatID: chatID, MessageID: id, Text: r.FormValue("caption"), Document: header.Filename, Data: data.Bytes()})
	s.mu.Unlock()
	reply(w, http.StatusOK, map[string]any{"message_id": id, "date": time.Now().Unix(), "chat": map[string]any{"id": chatID, "type": "private"}}, "", 0)
}

// SendContact queues a message sharing a phone number; own says whether
// it is the user's own contact.
func (s *Server) SendContact(u User, phone string, own bool) int {
	msg := s.message(u, u.ID, "private", "")
	delete(msg, "text")
	owner := u.ID
	if !own {
		owner = u.ID + 1
	}
	msg["contact"] = map[string]any{"phone_number": phone, "first_name": "Test", "user_id": owner}
	return s.push(map[string]any{"message": msg})
}

// SendGroupCommand queues a command sent in a group.
func (s *Server) SendGroupCommand(u User, groupID int64, text string) int {
	msg := s.message(u, groupID, "group", text)
	msg["entities"] = []map[string]any{{"type": "bot_command", "offset": 0, "length": len(strings.Fields(text)[0])}}
	return s.push(map[string]any{"message": msg})
}

// PressGroupButton queues a press of a button under a message in a group.
func (s *Server) PressGroupButton(u User, groupID int64, messageID int, data string) int {
	s.mu.Lock()
	cbID := fmt.Sprintf("cb%d", s.nextID)
	s.mu.Unlock()
	return s.push(map[string]any{"callback_query": map[string]any{
		"id": cbID, "from": user(u), "chat_instance": "ci", "data": data,
		"message": map[string]any{"message_id": messageID, "date": time.Now().Unix(), "chat": map[string]any{"id": groupID, "type": "supergroup"}},
	}})
}

// checkHTML is what Telegram refuses in parse_mode HTML: unknown or
// unbalanced tags and a bare &.
func checkHTML(text string) string {
	var stack []string
	for _, m := range tagPattern.FindAllStringSubmatch(text, -1) {
		closing, tag := m[1] == "/", m[2]
		if !allowedTags[tag] {
			return "unsupported start tag \"" + tag + "\""
		}
		if !closing {
			stack = append(stack, tag)
			continue
		}
		if len(stack) == 0 || stack[len(stack)-1] != tag {
			return "unexpected end tag \"" + tag + "\""
		}
		stack = stack[:len(stack)-1]
	}
	if len(stack) > 0 {
		return "can't find end tag corresponding to start tag \"" + stack[len(stack)-1] + "\""
	}
	stripped := tagPattern.ReplaceAllString(text, "")
	if len(strayAmpersand.FindAllString(stripped, -1)) != len(entityPattern.FindAllString(stripped, -1)) {
		return "unsupported character reference"
	}
	return ""
}

func reply(w http.ResponseWriter, code int, result any, description string, retryAfter int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	body := map[string]any{"ok": code == http.StatusOK}
	if code == http.StatusOK {
		body["result"] = result
	} else {
		body["error_code"] = code
		body["description"] = description
		if retryAfter > 0 {
			body["parameters"] = map[string]any{"retry_after": retryAfter}
		}
	}
	json.NewEncoder(w).Encode(body)
}
