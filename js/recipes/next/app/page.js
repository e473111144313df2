// Served on the port stableport gives web: the server's own lookup says which.
import { portFor } from 'stableport';

export default function Page() {
  return <p>next on {portFor('web')}</p>;
}
