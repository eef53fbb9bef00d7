package dev.dedup.http.integration;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Import;

/** The web app the integration tests run on a random port: protected endpoints of every strategy. */
@SpringBootConfiguration
@EnableAutoConfiguration
@Import({ TestEndpoints.class, ClassLevelEndpoints.class, Recorder.class })
public class HttpTestApplication {

}
