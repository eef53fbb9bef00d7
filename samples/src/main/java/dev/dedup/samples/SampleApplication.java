package dev.dedup.samples;

import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.config.TopicBuilder;

/**
 * Run with no arguments: an embedded KRaft broker and the JDBC store on an H2 file database. {@code --dedup.store=redis}
 * uses the Redis at spring.data.redis.* (localhost:6379 by default); {@code --spring.kafka.bootstrap-servers=…}
 * uses a real broker instead of the embedded one.
 */
@SpringBootApplication
public class SampleApplication {

	public static void main(String[] args) {
		SpringApplication application = new SpringApplication(SampleApplication.class);
		application.addInitializers(new EmbeddedKafkaInitializer());
		System.exit(SpringApplication.exit(application.run(args)));
	}

	@Bean
	NewTopic sampleTopic(@Value("${sample.topic}") String topic) {
		return TopicBuilder.name(topic).partitions(3).replicas(1).build();
	}

}
