package conn

import (
	"encoding/json"
	"reflect"
	"testing"
)

// A connection to one chosen endpoint has the connection's service config
// (balancer, retry policy) without the client-side health check.
func TestOneEndpointConfig(t *testing.T) {
	var full, one map[string]any
	if err := json.Unmarshal([]byte(serviceConfig), &full); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(oneEndpointConfig()), &one); err != nil {
		t.Fatal(err)
	}
	if _, ok := full["healthCheckConfig"]; !ok {
		t.Fatalf("the connection's service config has no health check; this test needs updating")
	}
	delete(full, "healthCheckConfig")
	if !reflect.DeepEqual(full, one) {
		t.Errorf("one-endpoint config %v, want %v", one, full)
	}
}
