package dev.dedup.redis;

/**
 * One script run on one key. Every script touches only its one key, which is what makes the store safe on
 * Redis Cluster.
 */
record ScriptCall(StoreScript script, byte[] key, byte[][] args) {

	/** KEYS followed by ARGV, as the connection-level EVAL takes them. */
	byte[][] keysAndArgs() {
		byte[][] all = new byte[this.args.length + 1][];
		all[0] = this.key;
		System.arraycopy(this.args, 0, all, 1, this.args.length);
		return all;
	}

}
