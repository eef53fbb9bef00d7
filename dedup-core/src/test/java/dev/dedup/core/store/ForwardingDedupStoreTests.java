package dev.dedup.core.store;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ForwardingDedupStoreTests {

	/** A step added to the SPI later, with a default, would otherwise skip every wrapper silently. */
	@Test
	void forwardsEveryMethodOfTheStoreSpi() {
		List<String> missing = new ArrayList<>();
		for (Method method : DedupStore.class.getMethods()) {
			if (Modifier.isStatic(method.getModifiers())) {
				continue;
			}
			try {
				ForwardingDedupStore.class.getDeclaredMethod(method.getName(), method.getParameterTypes());
			}
			catch (NoSuchMethodException ex) {
				missing.add(method.getName() + Arrays.toString(method.getParameterTypes()));
			}
		}
		assertThat(missing).as("DedupStore methods ForwardingDedupStore does not forward").isEmpty();
	}

	@Test
	void everyStepPassesAroundWithItsOperationAndKeyCount() {
		List<String> seen = new ArrayList<>();
		ForwardingDedupStore store = new ForwardingDedupStore(new InMemoryDedupStore()) {

			@Override
			protected <T> T around(StoreOperation operation, int keys, Supplier<T> step) {
				seen.add(operation.methodName() + ":" + keys);
				return step.get();
			}

		};
		Duration lease = Duration.ofSeconds(5);
		store.claim("a", "o", lease);
		store.renew("a", "o", lease);
		store.complete("a", "o", lease, null);
		store.claimAll(List.of("b", "c"), "o", lease);
		store.completeAll(List.of("b", "c"), "o", lease);
		store.claimPoll(List.of("e", "f"), "p", lease, lease);
		store.completePoll(List.of("e", "f"), "p", lease);
		store.claim("d", "o", lease);
		store.release("d", "o");
		store.inspect("a");
		store.evict("a");
		store.ping();
		assertThat(seen).containsExactly("claim:1", "renew:1", "complete:1", "claimAll:2", "completeAll:2", "claimPoll:2", "completePoll:2", "claim:1",
				"release:1", "inspect:1", "evict:1", "ping:0");
		assertThat(store.isInProcess()).isTrue();
		assertThat(store.maxKeyLength()).isEqualTo(new InMemoryDedupStore().maxKeyLength());
	}

}
