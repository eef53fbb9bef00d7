package dev.dedup.redis;

/**
 * One script run on one or more keys. On Redis Cluster all keys of one call must share a hash slot; the
 * store groups them so (see {@link RedisDedupStore}).
 */
record ScriptCall(StoreScript script, byte[][] keys, byte[][] args) {

	ScriptCall(StoreScript script, byte[] key, byte[][] args) {
		this(script, new byte[][] { key }, args);
	}

	/** KEYS followed by ARGV, as the connection-level EVAL takes them. */
	byte[][] keysAndArgs() {
		byte[][] all = new byte[this.keys.length + this.args.length][];
		System.arraycopy(this.keys, 0, all, 0, this.keys.length);
		System.arraycopy(this.args, 0, all, this.keys.length, this.args.length);
		return all;
	}

}
