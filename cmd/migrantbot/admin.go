package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"migrantbot/internal/bolt"
	"migrantbot/internal/bot"
)

// A running bot holds its database locked, so the shell commands that read
// it (referrals, backup) reach the bot instead: an HTTP endpoint on the
// loopback interface only, with a token. The bot writes the address and
// token next to the database (mode 0600) for those commands to find.

// adminInfo is what the bot writes to <database>.admin.
type adminInfo struct {
	Addr  string `json:"addr"`
	Token string `json:"token"`
}

func adminInfoPath(db string) string { return db + ".admin" }

// serveAdmin starts the endpoint; the returned function stops it.
func serveAdmin(db *bolt.DB, listen, token, dbPath string, log *slog.Logger) (func(), error) {
	host, _, err := net.SplitHostPort(listen)
	if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
		return nil, usageError{fmt.Sprintf("MIGRANTBOT_ADMIN_LISTEN %q: the admin endpoint listens on a loopback address only, like 127.0.0.1:8081", listen)}
	}
	if token == "" {
		b := make([]byte, 24)
		rand.Read(b)
		token = hex.EncodeToString(b)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("admin endpoint: listen on %s: %w", listen, err)
	}
	info, _ := json.Marshal(adminInfo{Addr: ln.Addr().String(), Token: token})
	if err := os.WriteFile(adminInfoPath(dbPath), info, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("admin endpoint: %w", err)
	}
	mux := http.NewServeMux()
	authorized := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+token)) != 1 {
				http.Error(w, "forbidden", http.StatusForbidden)
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("GET /admin/referrals", authorized(func(w http.ResponseWriter, r *http.Request) {
		f, err := referralFilter(r.URL.Query())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		list, err := db.Referrals(r.Context(), f)
		if err != nil {
			http.Error(w, "cannot read referrals", http.StatusInternalServerError)
			log.Error("admin: reading referrals failed", "err", err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(list)
	}))
	mux.HandleFunc("GET /admin/backup", authorized(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		if err := db.Backup(w); err != nil {
			log.Error("admin: backup failed", "err", err)
		}
	}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		os.Remove(adminInfoPath(dbPath))
	}, nil
}

// referralFilter reads status, destination and since (2026-11-01) from a query.
func referralFilter(q url.Values) (bot.ReferralFilter, error) {
	f := bot.ReferralFilter{Destination: q.Get("destination")}
	if s := q.Get("status"); s != "" {
		f.Statuses = []string{s}
	}
	if s := q.Get("since"); s != "" {
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			return f, fmt.Errorf("since %q: want a date like 2026-11-01", s)
		}
		f.Since = t
	}
	return f, nil
}

// referralSource is the database, or the running bot that holds it.
type referralSource interface {
	Referrals(ctx context.Context, f url.Values) ([]bot.Referral, error)
	Backup(w io.Writer) error
}

// openReferrals opens the database, or reaches the running bot that holds it.
func openReferrals(dbPath string) (referralSource, func(), error) {
	db, err := bolt.Open(dbPath)
	if err == nil {
		return directSource{db}, func() { db.Close() }, nil
	}
	if !errors.Is(err, bolt.ErrInUse) {
		return nil, nil, err
	}
	data, readErr := os.ReadFile(adminInfoPath(dbPath))
	var info adminInfo
	if readErr != nil || json.Unmarshal(data, &info) != nil {
		return nil, nil, fmt.Errorf("%w, and its admin endpoint is unknown (%s is missing)", err, adminInfoPath(dbPath))
	}
	return adminSource{info, &http.Client{Timeout: time.Minute}}, func() {}, nil
}

type directSource struct{ db *bolt.DB }

func (d directSource) Referrals(ctx context.Context, q url.Values) ([]bot.Referral, error) {
	f, err := referralFilter(q)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	return d.db.Referrals(ctx, f)
}

func (d directSource) Backup(w io.Writer) error { return d.db.Backup(w) }

type adminSource struct {
	info   adminInfo
	client *http.Client
}

func (a adminSource) get(path string) (*http.Response, error) {
	req, err := http.NewRequest("GET", "http://"+a.info.Addr+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.info.Token)
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reach the running bot at %s: %w", a.info.Addr, err)
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		return nil, fmt.Errorf("the running bot answered %s: %s", resp.Status, body)
	}
	return resp, nil
}

func (a adminSource) Referrals(_ context.Context, q url.Values) ([]bot.Referral, error) {
	resp, err := a.get("/admin/referrals?" + q.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var list []bot.Referral
	return list, json.NewDecoder(resp.Body).Decode(&list)
}

func (a adminSource) Backup(w io.Writer) error {
	resp, err := a.get("/admin/backup")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(w, resp.Body)
	return err
}
