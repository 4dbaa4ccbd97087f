package telegram_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"migrantbot/internal/bolt"
	"migrantbot/internal/bot"
	"migrantbot/internal/locale"
	"migrantbot/internal/telegram"
	"migrantbot/internal/telegram/telegramtest"
	"migrantbot/locales"
)

// latencies is a log handler that keeps the latency of every update line.
type latencies struct {
	mu     sync.Mutex
	values []float64
}

func (l *latencies) Enabled(context.Context, slog.Level) bool { return true }
func (l *latencies) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *latencies) WithGroup(string) slog.Handler            { return l }
func (l *latencies) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "latency_ms" {
			l.mu.Lock()
			l.values = append(l.values, a.Value.Float64())
			l.mu.Unlock()
		}
		return true
	})
	return nil
}

// BenchmarkThousandUsers: 1,000 users send 10 messages each through the
// fake Bot API. It reports updates handled per second, the p50 and p99 of
// handling latency (an update received to its replies handed to the
// sender; Telegram's rate limits are off) and the peak heap.
func BenchmarkThousandUsers(b *testing.B) {
	const users, each = 1000, 10
	questions := []string{"/start", "патент керекпи", "нужна ли регистрация", "каттоо канча кундо", "не платят зарплату",
		"какая погода", "медосмотр", "/help", "kattoo kerekpi", "/menu"}
	for i := 0; i < b.N; i++ {
		srv := telegramtest.NewServer(b)
		db, err := bolt.Open(filepath.Join(b.TempDir(), "bot.db"))
		if err != nil {
			b.Fatal(err)
		}
		lat := &latencies{}
		log := slog.New(lat)
		tr, _ := locale.Load(locales.FS, bot.Languages)
		cfg := telegram.Config{
			Token: telegramtest.Token, Endpoint: srv.Endpoint(), PollTimeout: time.Second,
			PerChat: telegram.Rate{Every: time.Nanosecond, Burst: 1 << 20}, Global: telegram.Rate{Every: time.Nanosecond, Burst: 1 << 20},
		}
		transport, err := telegram.New(cfg, bot.New(db, bot.NewLibrary(knowledge(b)), tr, log), db, log)
		if err != nil {
			b.Fatal(err)
		}
		for m := 0; m < each; m++ {
			for u := 0; u < users; u++ {
				srv.SendText(telegramtest.User{ID: int64(10000 + u), Lang: "ru"}, questions[m])
			}
		}
		var peak uint64
		stopSampling := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			var ms runtime.MemStats
			for {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
				select {
				case <-stopSampling:
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		began := time.Now()
		go func() { transport.Poll(ctx); close(done) }()
		for srv.Pending() > 0 || countLatencies(lat) < users*each {
			time.Sleep(5 * time.Millisecond)
		}
		took := time.Since(began)
		cancel()
		<-done
		close(stopSampling)
		<-sampled
		db.Close()

		sort.Float64s(lat.values)
		b.ReportMetric(float64(users*each)/took.Seconds(), "updates/s")
		b.ReportMetric(lat.values[len(lat.values)/2], "p50-ms")
		b.ReportMetric(lat.values[len(lat.values)*99/100], "p99-ms")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	}
}

func countLatencies(l *latencies) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.values)
}
