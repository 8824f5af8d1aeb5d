package watch_test

import (
	"bytes"
	"errors"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/fuzzbytes"
	"github.com/getcd/getcd/watch"
)

// model records what the fuzzer asked for, independently of the builder.
type model struct {
	key, end string
	rev, id  int64
	buffer   int
	used     map[string]int // options given, by field name, counted
}

// decodeChain applies a chain of options read from data.
func decodeChain(data []byte) (watch.Request, model) {
	d := &fuzzbytes.Decoder{Data: data}
	m := model{used: map[string]int{}}
	r := watch.New()
	for steps := 0; len(d.Data) > 0 && steps < 24; steps++ {
		switch d.Byte() % 18 {
		case 0:
			m.key = d.Str(4)
			r = r.WithKey(m.key)
			m.used["key"]++
		case 1:
			r = r.WithPrefix()
			m.used["prefix"]++
		case 2:
			r = r.WithFromKey()
			m.used["from_key"]++
		case 3:
			m.end = d.Str(4)
			r = r.WithRangeEnd(m.end)
			m.used["range_end"]++
		case 4:
			r = r.WithAll()
			m.used["all"]++
		case 5:
			m.rev = d.Int()
			r = r.WithStartRevision(m.rev)
		case 6:
			r = r.WithFilterPut()
			m.used["noput"]++
		case 7:
			r = r.WithFilterDelete()
			m.used["nodelete"]++
		case 8:
			r = r.WithPrevKV()
			m.used["prev_kv"]++
		case 9:
			m.id = d.Int()
			r = r.WithWatchID(m.id)
		case 10:
			r = r.WithFragment()
			m.used["fragment"]++
		case 11:
			r = r.WithProgressNotify()
			m.used["progress_notify"]++
		case 12:
			r = r.WithCreatedNotify()
		case 13:
			r = r.WithoutRequireLeader()
		case 14:
			m.buffer = int(d.Int())
			r = r.WithBuffer(m.buffer)
		case 15:
			r = r.WithConn(d.Str(3))
		case 16:
			m.key = d.Str(4)
			r = r.WithKeyBytes([]byte(m.key))
			m.used["key"]++
		case 17:
			r = r.WithPageSize(int(d.Int()))
			m.used["page_size"]++
		}
	}
	return r, m
}

// modelPrefixEnd is an independent statement of etcd's prefix rule.
func modelPrefixEnd(key string) string {
	k := []byte(key)
	for len(k) > 0 && k[len(k)-1] == 0xff {
		k = k[:len(k)-1]
	}
	if len(k) == 0 {
		return "\x00"
	}
	k[len(k)-1]++
	return string(k)
}

// expect says whether the model's request is valid and, if so, its key
// and range end.
func (m model) expect() (ok bool, key, end string) {
	modes := 0
	for _, f := range []string{"prefix", "from_key", "range_end", "all"} {
		if m.used[f] > 0 {
			modes++
		}
	}
	switch {
	case modes > 1, m.rev < 0, m.id < 0, m.buffer < 0, m.used["page_size"] > 0,
		m.used["noput"] > 0 && m.used["nodelete"] > 0:
		return false, "", ""
	}
	switch {
	case m.used["all"] > 0:
		if m.key != "" {
			return false, "", ""
		}
		return true, "\x00", "\x00"
	case m.used["prefix"] > 0:
		if m.key == "" {
			return true, "\x00", "\x00"
		}
		return true, m.key, modelPrefixEnd(m.key)
	case m.used["from_key"] > 0:
		if m.key == "" {
			return true, "\x00", "\x00"
		}
		return true, m.key, "\x00"
	case m.used["range_end"] > 0:
		if m.key == "" || m.end == "" || (m.end != "\x00" && m.end <= m.key) {
			return false, "", ""
		}
		return true, m.key, m.end
	}
	return m.key != "", m.key, ""
}

// FuzzCreateRequest checks every chain against the model: a valid request
// compiles to exactly the fields asked for, an invalid one to a
// *kv.FieldError, and nothing panics.
func FuzzCreateRequest(f *testing.F) {
	for _, seed := range [][]byte{
		{0, 2, 's', '/', 1},
		{0, 1, 0xff, 1, 8, 6},
		{4, 5, 3},
		{0, 1, 'a', 3, 1, 'a'},
		{6, 7},
		{0, 1, 'k', 9, 0x80},
		{0, 1, 'k', 14, 0xff, 10, 11, 12, 13, 15, 1, 'x'},
		{17, 1},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, m := decodeChain(data)
		got, err := r.CreateRequest()
		ok, key, end := m.expect()
		if !ok {
			if err == nil {
				t.Fatalf("model %+v is invalid, compiled to %v", m, got)
			}
			var fe *kv.FieldError
			if !errors.As(err, &fe) || !errors.Is(err, kv.ErrInvalidRequest) || fe.Field == "" {
				t.Fatalf("error %v is not a field error", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("model %+v is valid, got %v", m, err)
		}
		var wantEnd []byte
		if end != "" {
			wantEnd = []byte(end)
		}
		var filters []pb.WatchCreateRequest_FilterType
		if m.used["noput"] > 0 {
			filters = append(filters, pb.WatchCreateRequest_NOPUT)
		}
		if m.used["nodelete"] > 0 {
			filters = append(filters, pb.WatchCreateRequest_NODELETE)
		}
		want := &pb.WatchCreateRequest{
			Key: []byte(key), RangeEnd: wantEnd, StartRevision: m.rev, Filters: filters,
			PrevKv: m.used["prev_kv"] > 0, WatchId: m.id, Fragment: m.used["fragment"] > 0,
			ProgressNotify: m.used["progress_notify"] > 0,
		}
		diff(t, want, got)
		if !bytes.Equal(got.Key, []byte(key)) {
			t.Fatalf("key %q, want %q", got.Key, key)
		}
	})
}
