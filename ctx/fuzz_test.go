package kv_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/fuzzbytes"
)

// decoder turns fuzz bytes into builder arguments.
type decoder struct{ fuzzbytes.Decoder }

func (d *decoder) byte() byte  { return d.Byte() }
func (d *decoder) str() string { return d.Str(4) }
func (d *decoder) int() int64  { return d.Int() }

// model records what the fuzzer asked for, independently of the builder.
type model struct {
	key, end string
	used     map[string]bool // builder options given, by protobuf field name
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

// decodeChain applies a chain of options read from data.
func decodeChain(data []byte) (kv.Request, model) {
	d := &decoder{fuzzbytes.Decoder{Data: data}}
	m := model{used: map[string]bool{}}
	r := kv.New()
	for steps := 0; len(d.Data) > 0 && steps < 32; steps++ {
		op := d.byte() % 32
		switch op {
		case 0:
			m.key = d.str()
			r = r.WithKey(m.key)
			m.used["key"] = true
		case 1:
			r = r.WithValue(d.str())
			m.used["value"] = true
		case 2:
			r = r.WithPrefix()
			m.used["prefix"] = true
		case 3:
			r = r.WithFromKey()
			m.used["from_key"] = true
		case 4:
			m.end = d.str()
			r = r.WithRangeEnd(m.end)
			m.used["range_end"] = true
		case 5:
			r = r.WithAll()
			m.used["all"] = true
		case 6:
			r = r.WithLimit(int(d.int()))
			m.used["limit"] = true
		case 7:
			r = r.WithRev(d.int())
			m.used["revision"] = true
		case 8:
			r = r.WithSort(kv.SortTarget(int8(d.byte())), kv.SortOrder(int8(d.byte())))
			m.used["sort"] = true
		case 9:
			r = r.WithSerializable()
			m.used["serializable"] = true
		case 10:
			r = r.WithKeysOnly()
			m.used["keys_only"] = true
		case 11:
			r = r.WithCountOnly()
			m.used["count_only"] = true
		case 12:
			r = r.WithMinModRev(d.int())
			m.used["min_mod_revision"] = true
		case 13:
			r = r.WithMaxModRev(d.int())
			m.used["max_mod_revision"] = true
		case 14:
			r = r.WithMinCreateRev(d.int())
			m.used["min_create_revision"] = true
		case 15:
			r = r.WithMaxCreateRev(d.int())
			m.used["max_create_revision"] = true
		case 16:
			r = r.WithPrevKV()
			m.used["prev_kv"] = true
		case 17:
			r = r.WithLease(d.int())
			m.used["lease"] = true
		case 18:
			r = r.WithIgnoreValue()
			m.used["ignore_value"] = true
		case 19:
			r = r.WithIgnoreLease()
			m.used["ignore_lease"] = true
		case 20:
			r = r.WithPhysical()
			m.used["physical"] = true
		case 21:
			r = r.WithTimeout(time.Duration(d.int()) * time.Millisecond)
		case 22:
			r = r.WithTop(kv.SortTarget(int8(d.byte())), kv.SortOrder(int8(d.byte())))
			m.used["sort"], m.used["prefix"], m.used["limit"] = true, true, true
		case 23, 24, 25, 26, 27, 28:
			r = [...]func(kv.Request) kv.Request{
				kv.Request.WithFirstKey, kv.Request.WithLastKey, kv.Request.WithFirstCreate,
				kv.Request.WithLastCreate, kv.Request.WithFirstRev, kv.Request.WithLastRev,
			}[op-23](r)
			m.used["sort"], m.used["prefix"], m.used["limit"] = true, true, true
		case 29:
			r = r.WithConn(d.str())
		case 30:
			m.key = d.str()
			r = r.WithKeyBytes([]byte(m.key))
			m.used["key"] = true
		case 31:
			r = r.WithValueBytes([]byte(d.str()))
			m.used["value"] = true
		}
	}
	return r, m
}

// allowed lists the options each kind uses.
var allowed = map[string]map[string]bool{
	"range": set("key", "prefix", "from_key", "range_end", "all", "limit", "revision", "sort", "serializable",
		"keys_only", "count_only", "min_mod_revision", "max_mod_revision", "min_create_revision", "max_create_revision"),
	"put":     set("key", "value", "lease", "prev_kv", "ignore_value", "ignore_lease"),
	"delete":  set("key", "prefix", "from_key", "range_end", "all", "prev_kv"),
	"compact": set("revision", "physical"),
}

func set(names ...string) map[string]bool {
	s := map[string]bool{}
	for _, n := range names {
		s[n] = true
	}
	return s
}

// wantRange is the key and range_end the model expects, given a valid range.
func (m model) wantRange() (key, end string, hasEnd bool) {
	switch {
	case m.used["all"]:
		return "\x00", "\x00", true
	case m.used["prefix"]:
		if m.key == "" {
			return "\x00", "\x00", true
		}
		return m.key, modelPrefixEnd(m.key), true
	case m.used["from_key"]:
		if m.key == "" {
			return "\x00", "\x00", true
		}
		return m.key, "\x00", true
	case m.used["range_end"]:
		return m.key, m.end, true
	}
	return m.key, "", false
}

func checkRangeInvariants(t *testing.T, kind string, m model, key, end []byte) {
	t.Helper()
	if len(key) == 0 {
		t.Fatalf("%s compiled with an empty key", kind)
	}
	if len(end) != 0 && !bytes.Equal(end, []byte{0}) && bytes.Compare(end, key) <= 0 {
		t.Fatalf("%s range_end %q is not after key %q", kind, end, key)
	}
	wk, we, hasEnd := m.wantRange()
	if string(key) != wk || string(end) != we || (len(end) > 0) != hasEnd {
		t.Fatalf("%s compiled [%q, %q), model wants [%q, %q)", kind, key, end, wk, we)
	}
}

func FuzzRequestChain(f *testing.F) {
	// Seeds: opcode, then its arguments (see decodeChain).
	f.Add([]byte{0, 1, 'a', 2})                            // key a, prefix
	f.Add([]byte{0, 2, 'a', 0xff, 2})                      // key a\xff, prefix -> b
	f.Add([]byte{0, 2, 0xff, 0xff, 2})                     // key \xff\xff, prefix -> \x00
	f.Add([]byte{2})                                       // empty key prefix
	f.Add([]byte{0, 1, 'a', 3})                            // from key
	f.Add([]byte{0, 1, 'a', 4, 1, 'c'})                    // explicit end
	f.Add([]byte{0, 1, 0, 4, 1, 0})                        // eetcd all keys
	f.Add([]byte{5})                                       // all
	f.Add([]byte{0, 1, 'a', 2, 3})                         // prefix + from key
	f.Add([]byte{0, 1, 'k', 1, 1, 'v', 17, 5, 16})         // put k=v, lease, prev kv
	f.Add([]byte{0, 1, 'k', 18, 19})                       // ignore value + ignore lease
	f.Add([]byte{0, 1, 'k', 1, 1, 'v', 18})                // ignore value with value
	f.Add([]byte{7, 9, 20})                                // compact
	f.Add([]byte{0, 1, 'j', 22, 3, 2, 6, 0x80})            // top, then limit MinInt64
	f.Add([]byte{0, 1, 'j', 27, 7, 0x7f, 12, 1, 15, 0xff}) // last rev, rev max, min mod, max create -1
	f.Add([]byte{0, 1, 'k', 8, 9, 9})                      // bad sort on a single key
	f.Add([]byte{21, 0xff, 0, 1, 'k'})                     // negative timeout
	f.Add([]byte{30, 2, 'a', 'b', 4, 2, 'a', 'a', 29, 1, 'c'})

	f.Fuzz(func(t *testing.T, data []byte) {
		r, m := decodeChain(data)
		before := r
		for _, kind := range []string{"range", "put", "delete", "compact"} {
			var (
				msg proto.Message
				err error
			)
			switch kind {
			case "range":
				rr, rerr := r.RangeRequest()
				err = rerr
				if err == nil {
					checkRangeInvariants(t, kind, m, rr.GetKey(), rr.GetRangeEnd())
					msg = rr
				}
			case "delete":
				dr, derr := r.DeleteRequest()
				err = derr
				if err == nil {
					checkRangeInvariants(t, kind, m, dr.GetKey(), dr.GetRangeEnd())
					msg = dr
				}
			case "put":
				pr, perr := r.PutRequest()
				err = perr
				if err == nil {
					if len(pr.Key) == 0 || (pr.IgnoreValue && len(pr.Value) > 0) || (pr.IgnoreLease && pr.Lease != 0) || pr.Lease < 0 {
						t.Fatalf("put compiled to a request etcd rejects: key %q ignore_value %v value %q ignore_lease %v lease %d",
							pr.Key, pr.IgnoreValue, pr.Value, pr.IgnoreLease, pr.Lease)
					}
					msg = pr
				}
			case "compact":
				cr, cerr := r.CompactRequest()
				err = cerr
				if err == nil {
					if cr.Revision <= 0 {
						t.Fatalf("compact compiled with revision %d", cr.Revision)
					}
					msg = cr
				}
			}
			if err != nil {
				if !errors.Is(err, kv.ErrInvalidRequest) {
					t.Fatalf("%s: error %v does not match ErrInvalidRequest", kind, err)
				}
				var fe *kv.FieldError
				if !errors.As(err, &fe) || fe.Field == "" || fe.Req != kind || fe.Pkg != "kv" {
					t.Fatalf("%s: error %v is not a *FieldError naming a field", kind, err)
				}
				continue
			}
			// A request compiles only if every option it was given is one
			// this kind uses.
			for opt := range m.used {
				if !allowed[kind][opt] {
					t.Fatalf("%s compiled although it was given %s", kind, opt)
				}
			}
			// Compiling is deterministic.
			again, _ := compileKind(r, kind)
			if !proto.Equal(msg, again) { // cheap check; diff only on failure
				d := cmp.Diff(msg, again, protocmp.Transform())
				t.Fatalf("%s: second compile differs:\n%s", kind, d)
			}
		}
		if r != before {
			t.Fatalf("compiling changed the request")
		}
	})
}

func compileKind(r kv.Request, kind string) (proto.Message, error) {
	switch kind {
	case "range":
		return r.RangeRequest()
	case "put":
		return r.PutRequest()
	case "delete":
		return r.DeleteRequest()
	}
	return r.CompactRequest()
}
