package dev.dedup.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The quick-start sample, as the README runs it: embedded broker, JDBC store on H2, a burst with repeats.
 */
class SampleApplicationTests {

	@Test
	void theSampleHandlesEachUniqueIdOnceAndReportsTheSkippedCopies() {
		PrintStream original = System.out;
		ByteArrayOutputStream captured = new ByteArrayOutputStream();
		System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
		SpringApplication application = new SpringApplication(SampleApplication.class);
		application.addInitializers(new EmbeddedKafkaInitializer());
		try (ConfigurableApplicationContext context = application.run("--sample.messages=40",
				"--sample.every-nth-repeats=4", "--sample.topic=sample-test-orders")) {
			OrderListener listener = context.getBean(OrderListener.class);
			assertThat(listener.handled()).isEqualTo(31);
			assertThat(listener.handledTwice()).isZero();
		}
		finally {
			System.setOut(original);
		}
		String report = captured.toString(StandardCharsets.UTF_8);
		assertThat(report).contains("dedup sample report (store: JdbcDedupStore)", "sent                 40", "unique ids           31", "handled              31",
				"skipped as duplicate 9", "handled twice        0", "all settled");
	}

}
