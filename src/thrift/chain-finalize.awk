# SPDX-License-Identifier: Apache-2.0
# Thrift 0.17's c_glib generator writes struct finalizers that never chain
# up to GObject's, so an object's qdata block (which GLib allocates during
# g_object_unref) is never freed: 32 bytes lost per struct per call.  This
# adds the chain-up at the end of every generated <type>_finalize.  All
# generated structs derive directly from ThriftStruct, which has no
# finalizer of its own, so its class's finalize is GObject's.
/_finalize \(GObject \*object\)$/ { in_fin = 1 }
in_fin && /^}$/ {
	print "  G_OBJECT_CLASS (g_type_class_peek (THRIFT_TYPE_STRUCT))->finalize (object);"
	in_fin = 0
	patched++
}
{ print }
END { if (patched == 0) exit 1 }
