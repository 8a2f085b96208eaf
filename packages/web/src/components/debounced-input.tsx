import { useEffect, useState } from 'react';
import { TextInput, type TextInputProps } from '@mantine/core';

/** A text filter that reports its value after typing pauses. */
export function DebouncedInput({
  value,
  onValue,
  delay = 350,
  ...rest
}: { value: string; onValue: (v: string) => void; delay?: number } & Omit<
  TextInputProps,
  'value' | 'onChange'
>) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text === value) return;
    const t = setTimeout(() => onValue(text.trim()), delay);
    return () => clearTimeout(t);
  }, [text, value, delay, onValue]);
  return <TextInput value={text} onChange={(e) => setText(e.currentTarget.value)} {...rest} />;
}
