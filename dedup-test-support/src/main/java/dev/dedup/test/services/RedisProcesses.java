package dev.dedup.test.services;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** What the private Redis servers of the tests share: finding {@code redis-server}, a scratch folder, logs. */
final class RedisProcesses {

	static final String EXECUTABLE = "redis-server";

	private RedisProcesses() {
	}

	/** {@code redis-server} on the PATH, or an error saying how to install it; {@code what} names the starter. */
	static Path findExecutable(String what) {
		String path = System.getenv("PATH");
		for (String dir : (path != null) ? path.split(File.pathSeparator) : new String[0]) {
			Path candidate = Path.of(dir, EXECUTABLE);
			if (Files.isExecutable(candidate)) {
				return candidate;
			}
		}
		throw new AssertionError(EXECUTABLE + " is not on the PATH, but this test starts " + what + ". "
				+ "Install it with: apt-get install redis-server");
	}

	static Path createDirectory(String prefix) {
		try {
			return Files.createTempDirectory(prefix);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	static void deleteDirectory(Path directory) {
		try (Stream<Path> paths = Files.walk(directory)) {
			for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
				Files.deleteIfExists(path);
			}
		}
		catch (IOException ex) {
			// A leftover temporary directory is not worth failing a test for.
		}
	}

	/** The last 20 lines of a server's log, for a failure message. */
	static String tail(Path log) {
		try {
			List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
			return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
		}
		catch (IOException ex) {
			return "(no log: " + ex.getMessage() + ")";
		}
	}

}
