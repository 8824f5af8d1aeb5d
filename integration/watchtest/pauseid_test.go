package watchtest

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/watch"
)

// TestPausedWatchIDNoGap pauses, again and again while puts flow, a watch
// that has its own ID (WithWatchID). etcd keeps the events its old watcher
// had queued when the pause cancelled it, and sends them under the same ID
// once the watch is created again; they must not make the watch skip the
// events it missed: every put comes exactly once, in order. Whether etcd
// had events queued at a cancel depends on timing (before the fix this
// failed about one run in three); watch's TestPausedOwnIDResume replays the
// sequence deterministically.
func TestPausedWatchIDNoGap(t *testing.T) {
	ctx := testCtx(t)
	c := open(t, nil, conn.Config{})
	writer := open(t, nil, conn.Config{})
	p := prefix(t)
	w, err := watch.Open(ctx, c, watch.Prefix(p).WithWatchID(7).WithBuffer(8))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	const writers, per = 4, 1000
	var wg sync.WaitGroup
	for k := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				if _, err := writer.Put(ctx, kv.New().WithKey(p+strconv.Itoa(k)).WithValue(strconv.Itoa(i))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	defer wg.Wait()
	got := 0
	seen := make(map[string]int)
	for ev, err := range w.Events() {
		if err != nil {
			t.Fatal(err)
		}
		k := string(ev.KV.Key)
		if v := string(ev.KV.Value); v != strconv.Itoa(seen[k]) {
			t.Fatalf("event %d: key %s has value %s (revision %d), want %d: events were skipped or repeated", got, k, v, ev.KV.ModRevision, seen[k])
		}
		seen[k]++
		if got++; got == writers*per {
			break
		}
		if got%8 == 0 {
			time.Sleep(time.Millisecond) // a slow consumer: the watch pauses
		}
	}
}
