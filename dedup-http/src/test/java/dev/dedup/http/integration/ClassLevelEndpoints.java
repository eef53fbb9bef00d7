package dev.dedup.http.integration;

import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import dev.dedup.http.PreventDuplicateSubmit;
import dev.dedup.http.PreventDuplicateSubmit.Strategy;

/** The class annotation protects every handler; a method annotation replaces it. */
@RestController
@RequestMapping("/class")
@PreventDuplicateSubmit(strategy = Strategy.IDEMPOTENCY_KEY)
class ClassLevelEndpoints {

	private final Recorder recorder;

	ClassLevelEndpoints(Recorder recorder) {
		this.recorder = recorder;
	}

	@PostMapping("/inherited")
	String inherited(@RequestHeader("X-Run") String run) {
		this.recorder.ran(run);
		return "inherited";
	}

	@PostMapping("/own")
	@PreventDuplicateSubmit(strategy = Strategy.LOCK)
	String own(@RequestHeader("X-Run") String run) {
		this.recorder.ran(run);
		return "own";
	}

}
