# SPDX-License-Identifier: Apache-2.0
# Thrift 0.17's c_glib generator writes struct finalizers that never chain
# up to GObject's, so an object's qdata block (which GLib allocates during
# g_object_unref) is never freed: 32 bytes lost per struct per call.  This
# adds the chain-up at the end of every generated <type>_finalize.  All
# generated structs derive directly from ThriftStruct, which has no
# finalizer of its own, so its class's finalize is GObject's.
# A finalizer that already chains up (a fixed generator) is left alone.
/_finalize \(GObject \*object\)$/ { in_fin = 1; chained = 0 }
in_fin && /->finalize \(/ { chained = 1 }
in_fin && /^}$/ {
	if (!chained)
		print "  G_OBJECT_CLASS (g_type_class_peek (THRIFT_TYPE_STRUCT))->finalize (object);"
	in_fin = 0
	seen++
}
{ print }
END { if (seen == 0) exit 1 }
