package dev.dedup.benchmarks;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CPU time so far of each part of the machine a variant keeps busy: this JVM's threads by role, and the
 * store servers' processes. Read from {@code /proc} (Linux; empty elsewhere), whose thread names are cut to
 * 15 characters and whose times come in the kernel's ticks of 10 ms, so a part reads 0 below that.
 */
final class CpuParts {

	/** The parts, in the order the report prints them. */
	static final List<String> PARTS = List.of("consumer threads", "dedup threads", "Lettuce", "broker and other JVM threads",
			"JIT compilers", "GC", "redis-server", "mariadbd", "postgres", "other processes");

	private static final long MICROS_PER_TICK = 10_000;

	private CpuParts() {
	}

	/** Microseconds of CPU so far per part; empty where {@code /proc} cannot be read. */
	static Map<String, Long> snapshot() {
		Map<String, Long> micros = new LinkedHashMap<>();
		PARTS.forEach(part -> micros.put(part, 0L));
		String self = String.valueOf(ProcessHandle.current().pid());
		try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
			for (Path process : processes) {
				if (process.getFileName().toString().equals(self)) {
					try (DirectoryStream<Path> threads = Files.newDirectoryStream(process.resolve("task"))) {
						for (Path thread : threads) {
							add(micros, thread, CpuParts::threadPart);
						}
					}
				}
				else {
					add(micros, process, CpuParts::processPart);
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			return Map.of();
		}
		return micros;
	}

	private static void add(Map<String, Long> micros, Path task, java.util.function.Function<String, String> partOf) {
		String stat;
		try {
			stat = Files.readString(task.resolve("stat"));
		}
		catch (IOException ex) {
			return; // it has ended
		}
		String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
		String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
		long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
		if (ticks > 0) {
			micros.merge(partOf.apply(name), ticks * MICROS_PER_TICK, Long::sum);
		}
	}

	private static String threadPart(String name) {
		if (name.startsWith("org.springframe")) { // the listener containers' consumers
			return "consumer threads";
		}
		if (name.startsWith("dedup-")) {
			return "dedup threads";
		}
		if (name.startsWith("lettuce-")) {
			return "Lettuce";
		}
		if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) {
			return "JIT compilers";
		}
		if (name.startsWith("GC Thread") || name.startsWith("G1 ")) {
			return "GC";
		}
		return "broker and other JVM threads";
	}

	private static String processPart(String name) {
		return switch (name) {
			case "redis-server", "mariadbd", "postgres" -> name;
			default -> "other processes";
		};
	}

	/** What each part spent between two snapshots. */
	static Map<String, Long> between(Map<String, Long> before, Map<String, Long> after) {
		Map<String, Long> spent = new LinkedHashMap<>();
		after.forEach((part, micros) -> spent.put(part, micros - before.getOrDefault(part, 0L)));
		return spent;
	}

}
