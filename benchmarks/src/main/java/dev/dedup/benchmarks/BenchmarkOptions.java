package dev.dedup.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;

/** A benchmark's options: {@code NAME=value} or {@code --NAME=value} arguments, over {@code -Dbench.NAME=value}. */
record BenchmarkOptions(Map<String, String> values) {

	static BenchmarkOptions parse(String[] args) {
		Map<String, String> options = new LinkedHashMap<>();
		System.getProperties().stringPropertyNames().stream()
			.filter(name -> name.startsWith("bench."))
			.forEach(name -> options.put(name.substring("bench.".length()), System.getProperty(name)));
		for (String arg : args) {
			int equals = arg.indexOf('=');
			if (equals < 1) {
				throw new IllegalArgumentException("Expected NAME=value, got '" + arg + "'");
			}
			String name = arg.startsWith("--") ? arg.substring(2, equals) : arg.substring(0, equals);
			options.put(name, arg.substring(equals + 1));
		}
		return new BenchmarkOptions(options);
	}

	int intOption(String name, int defaultValue) {
		String value = this.values.get(name);
		return (value == null) ? defaultValue : Integer.parseInt(value.replace("_", ""));
	}

	String stringOption(String name, String defaultValue) {
		return this.values.getOrDefault(name, defaultValue);
	}

}
