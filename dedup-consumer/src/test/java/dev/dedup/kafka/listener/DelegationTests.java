package dev.dedup.kafka.listener;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.kafka.config.AbstractKafkaListenerContainerFactory;
import org.springframework.kafka.config.ContainerCustomizer;
import org.springframework.kafka.listener.AfterRollbackProcessor;
import org.springframework.kafka.listener.CommonErrorHandler;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * dedup wraps the application's error handler and after-rollback processor, and reads three settings of a
 * listener container factory that has no getters for them. These fail when a spring-kafka upgrade adds a
 * method the wrappers do not forward (a default method would silently skip the application's handler) or
 * moves a field the configurer reads.
 */
class DelegationTests {

	@Test
	void theErrorHandlerWrapperForwardsEveryMethodOfCommonErrorHandler() {
		assertThat(notOverridden(CommonErrorHandler.class, DedupAwareErrorHandler.class)).isEmpty();
	}

	@Test
	void theAfterRollbackWrapperForwardsEveryMethodOfAfterRollbackProcessor() {
		assertThat(notOverridden(AfterRollbackProcessor.class, DedupAwareAfterRollbackProcessor.class)).isEmpty();
	}

	@Test
	void theFactoryFieldsTheConfigurerReadsAreStillThere() throws NoSuchFieldException {
		assertField("commonErrorHandler", CommonErrorHandler.class);
		assertField("afterRollbackProcessor", AfterRollbackProcessor.class);
		assertField("containerCustomizer", ContainerCustomizer.class);
	}

	private static void assertField(String name, Class<?> type) throws NoSuchFieldException {
		Field field = AbstractKafkaListenerContainerFactory.class.getDeclaredField(name);
		assertThat(field.getType()).as("type of AbstractKafkaListenerContainerFactory.%s", name).isEqualTo(type);
	}

	private static List<String> notOverridden(Class<?> spi, Class<?> wrapper) {
		List<String> missing = new ArrayList<>();
		for (Method method : spi.getMethods()) {
			// logger(): the default methods' own logger for "not implemented" messages, not behaviour.
			if (Modifier.isStatic(method.getModifiers()) || method.isAnnotationPresent(Deprecated.class)
					|| method.getName().equals("logger")) {
				continue;
			}
			try {
				wrapper.getDeclaredMethod(method.getName(), method.getParameterTypes());
			}
			catch (NoSuchMethodException ex) {
				missing.add(method.getName() + Arrays.toString(method.getParameterTypes()));
			}
		}
		return missing;
	}

}
