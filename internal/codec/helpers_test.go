package codec_test

import "google.golang.org/protobuf/reflect/protoreflect"

func protoreflectName(s string) protoreflect.Name { return protoreflect.Name(s) }
