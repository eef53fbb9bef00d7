package dev.dedup.samples;

import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.config.TopicBuilder;

/**
 * Run with no arguments: an embedded KRaft broker and the JDBC store on an H2 file database; prints a report
 * and exits. {@code --dedup.store=redis} uses the Redis at spring.data.redis.* (localhost:6379 by default);
 * {@code --spring.kafka.bootstrap-servers=…} uses a real broker instead of the embedded one.
 * {@code --spring.profiles.active=web} also serves the protected HTTP order endpoints and keeps running.
 */
@SpringBootApplication
public class SampleApplication {

	public static void main(String[] args) {
		SpringApplication application = new SpringApplication(SampleApplication.class);
		application.addInitializers(new EmbeddedKafkaInitializer());
		ConfigurableApplicationContext context = application.run(args);
		if (context instanceof WebServerApplicationContext) {
			return; // the web profile: serve until stopped
		}
		System.exit(SpringApplication.exit(context));
	}

	@Bean
	NewTopic sampleTopic(@Value("${sample.topic}") String topic) {
		return TopicBuilder.name(topic).partitions(3).replicas(1).build();
	}

}
