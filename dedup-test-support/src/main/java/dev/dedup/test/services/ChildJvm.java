package dev.dedup.test.services;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Java main class in a child JVM on this test's classpath, killable with SIGKILL
 * ({@link Process#destroyForcibly()} sends SIGKILL on Linux). Output goes to a log file under target/.
 */
public final class ChildJvm implements AutoCloseable {

	private final Process process;

	private final Path log;

	private ChildJvm(Process process, Path log) {
		this.process = process;
		this.log = log;
	}

	public static ChildJvm start(Class<?> mainClass, String name, Map<String, ?> properties) throws IOException {
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp",
				System.getProperty("java.class.path"), mainClass.getName()));
		properties.forEach((key, value) -> command.add("--" + key + "=" + value));
		Path logDir = Files.createDirectories(Path.of("target", "child-jvms"));
		Path log = logDir.resolve(name + ".log");
		Process process = new ProcessBuilder(command).redirectErrorStream(true)
			.redirectOutput(log.toFile())
			.directory(new File("."))
			.start();
		return new ChildJvm(process, log);
	}

	public void kill() throws InterruptedException {
		this.process.destroyForcibly();
		this.process.waitFor(30, TimeUnit.SECONDS);
	}

	/** SIGTERM: the app shuts down in order (a consumer leaves its group), then this waits for it to exit. */
	public void stop() throws InterruptedException {
		this.process.destroy();
		if (!this.process.waitFor(30, TimeUnit.SECONDS)) {
			kill();
		}
	}

	public boolean isAlive() {
		return this.process.isAlive();
	}

	public String output() {
		try {
			return Files.readString(this.log);
		}
		catch (IOException ex) {
			return "(no output: " + ex.getMessage() + ")";
		}
	}

	/** The JVM's log file, which names it. */
	@Override
	public String toString() {
		return this.log.getFileName().toString();
	}

	@Override
	public void close() throws InterruptedException {
		if (this.process.isAlive()) {
			kill();
		}
	}

}
